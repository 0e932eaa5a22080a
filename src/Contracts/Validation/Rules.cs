namespace SkimGuard.Contracts.Validation;

/// <summary>
/// The value rules of wire format v1, in one place. The thorough reader (<see cref="FieldReader"/>) turns a broken
/// rule into a problem with a reason; the fast path (<see cref="TypedCheck"/>) asks the same predicates of a record
/// that deserialised cleanly, so both accept exactly the same records.
/// </summary>
internal static class Rules
{
    public const int MaxIdLength = 64;
    public const int MaxTokenLength = 128;
    /// <summary>Why a string written with an escape of half a surrogate pair is refused.</summary>
    public const string LoneSurrogateReason = "holds a \\u escape of half a surrogate pair (such as \\ud800), which is not text";

    public static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// An id: not empty, not too long, no control characters, and no card number anywhere in it, in any writing (a bank
    /// that puts the PAN in an id would carry it past the edge; the id is refused, with a reason, rather than risk it).
    /// </summary>
    public static bool IsId(string? text, int maxLength = MaxIdLength) =>
        text is { Length: > 0 } && text.Length <= maxLength && !text.Any(char.IsControl) && !Cards.PanScanner.ContainsPan(text);

    public static bool IsTimeAllowed(DateTimeOffset time, ReadContext context) =>
        time >= Earliest && time <= context.Clock.GetUtcNow() + context.ClockSkew;

    public static bool IsDigits(string? text, params int[] lengths) =>
        text is not null && lengths.Contains(text.Length) && text.All(char.IsAsciiDigit);

    public static bool InRange(double? value, double min, double max) =>
        value is not { } v || (double.IsFinite(v) && v >= min && v <= max);
}
