namespace SkimGuard.Contracts.Validation;

/// <summary>
/// The card of a record: its token, or at the edge a PAN tokenised on the spot. A PAN never leaves this method:
/// only the token, the BIN and the last four digits do.
/// </summary>
internal readonly record struct CardIdentity(string? Token, string? Bin, string? Last4)
{
    public static CardIdentity Resolve(FieldReader f, ReadContext context)
    {
        var bin = f.Digits("card_bin", 6, 8);
        var last4 = f.Digits("card_last4", 4);
        if (!f.Has("pan"))
        {
            return new(f.Id("card_token", Rules.MaxTokenLength), bin, last4);
        }
        if (context.Tokenizer is null)
        {
            f.Problem("pan", ProblemCodes.NotAllowed, "card numbers are accepted only at the banks' HTTP edge; send card_token");
            return default;
        }
        if (f.Has("card_token"))
        {
            f.Problem("card_token", ProblemCodes.NotAllowed, "send either pan or card_token, not both");
            return default;
        }
        var pan = f.PanText("pan");
        if (pan is null)
            return default;
        if (context.Tokenizer.TryTokenize(pan, out var card, out var reason))
            return new(card.Token, card.Bin, card.Last4);
        f.Problem("pan", ProblemCodes.BadFormat, reason);
        return default;
    }
}
