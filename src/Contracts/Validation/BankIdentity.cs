namespace SkimGuard.Contracts.Validation;

/// <summary>The bank of a record: from the sender's credentials at the edge, from the record on internal topics.</summary>
internal static class BankIdentity
{
    public static string? Resolve(FieldReader f, ReadContext context)
    {
        if (context.AuthenticatedBankId is not { } authenticated)
            return f.Id("bank_id");
        var named = f.Id("bank_id", required: false);
        if (named is not null && named != authenticated)
        {
            f.Problem("bank_id", ProblemCodes.NotAllowed, "names another bank than the one the credentials belong to");
            return null;
        }
        return authenticated;
    }
}
