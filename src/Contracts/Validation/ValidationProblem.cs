namespace SkimGuard.Contracts.Validation;

/// <summary>
/// One thing wrong with a record. Never echoes the value itself (it could be a card number); says what kind of
/// value was there instead.
/// </summary>
/// <param name="Field">The wire name of the field, or "$" for the record as a whole.</param>
/// <param name="ValueClass">What was found: missing, null, string, number, boolean, object, array, or invalid_json.</param>
/// <param name="Code">A stable machine-readable reason, such as out_of_range; metrics count rejections by it.</param>
/// <param name="Reason">A plain sentence for the bank's integrator.</param>
public sealed record ValidationProblem(string Field, string ValueClass, string Code, string Reason)
{
    /// <summary>"field: reason", for logs and messages.</summary>
    public override string ToString() => $"{Field}: {Reason}";
}

/// <summary>The stable reason codes of <see cref="ValidationProblem.Code"/>.</summary>
public static class ProblemCodes
{
    /// <summary>The bytes are not a JSON object.</summary>
    public const string InvalidJson = "invalid_json";
    /// <summary>The message is larger than a record may be.</summary>
    public const string TooLarge = "too_large";
    /// <summary>A required field is absent or null.</summary>
    public const string Missing = "missing";
    /// <summary>The JSON type is wrong (a string where a number belongs).</summary>
    public const string WrongType = "wrong_type";
    /// <summary>Not one of the allowed words.</summary>
    public const string UnknownValue = "unknown_value";
    /// <summary>A number or time outside its sane range.</summary>
    public const string OutOfRange = "out_of_range";
    /// <summary>The text does not have the required shape.</summary>
    public const string BadFormat = "bad_format";
    /// <summary>Longer than allowed.</summary>
    public const string TooLong = "too_long";
    /// <summary>Control characters in an id.</summary>
    public const string ControlCharacters = "control_characters";
    /// <summary>A field that must not be there (a PAN past the edge, another bank's id).</summary>
    public const string NotAllowed = "not_allowed";
    /// <summary>A field appears more than once in a record.</summary>
    public const string DuplicateField = "duplicate_field";
    /// <summary>A warning, not a refusal: a field the contract does not know, accepted and not read.</summary>
    public const string UnknownField = "unknown_field";
    /// <summary>Reading the message failed in a way no rule foresaw; the message is rejected, the service goes on.</summary>
    public const string Unreadable = "unreadable";
    /// <summary>The record's schema version is not one this build reads.</summary>
    public const string UnsupportedVersion = "unsupported_version";
}
