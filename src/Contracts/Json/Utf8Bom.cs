namespace SkimGuard.Contracts.Json;

/// <summary>
/// The UTF-8 byte order mark that Windows tools (Excel, Notepad, PowerShell) put before a file's first byte. It is
/// not part of the text, so every reader steps over it rather than refusing the first record.
/// </summary>
public static class Utf8Bom
{
    /// <summary>The three bytes EF BB BF.</summary>
    public static ReadOnlySpan<byte> Bytes => [0xEF, 0xBB, 0xBF];

    /// <summary>The bytes after a leading byte order mark, or all of them when there is none.</summary>
    public static ReadOnlyMemory<byte> Skip(ReadOnlyMemory<byte> utf8) => utf8.Span.StartsWith(Bytes) ? utf8[Bytes.Length..] : utf8;
}
