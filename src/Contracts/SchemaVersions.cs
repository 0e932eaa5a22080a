namespace SkimGuard.Contracts;

/// <summary>The wire format versions this build reads and writes.</summary>
public static class SchemaVersions
{
    /// <summary>The version every record is written with, and the only one read.</summary>
    public const int Current = 1;
}
