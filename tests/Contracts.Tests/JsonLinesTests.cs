using System.IO.Compression;
using System.Text;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Contracts.Tests;

public sealed class JsonLinesTests
{
    private static List<(long, string)> Lines(byte[] bytes) =>
        [.. JsonLines.ReadLines(new MemoryStream(bytes)).Select(l => (l.Number, Encoding.UTF8.GetString(l.Utf8.Span)))];

    [Fact]
    public void LinesKeepTheirNumbersAcrossBlankLinesAndCrLf()
    {
        var lines = Lines(Encoding.UTF8.GetBytes("{\"a\":1}\r\n\n{\"b\":2}\n{\"c\":3}"));

        Assert.Equal([(1L, "{\"a\":1}"), (3L, "{\"b\":2}"), (4L, "{\"c\":3}")], lines);
    }

    [Fact]
    public void ALineLongerThanTheBufferIsReadWhole()
    {
        var longLine = new string('x', 300_000);

        var lines = Lines(Encoding.UTF8.GetBytes($"a\n{longLine}\nb\n"));

        Assert.Equal(["a", longLine, "b"], lines.Select(l => l.Item2));
    }

    [Fact]
    public void GzipFilesAreReadByTheirName()
    {
        var path = Path.Combine(Path.GetTempPath(), $"lines-{Guid.NewGuid():N}.jsonl.gz");
        using (var file = File.Create(path))
        using (var gzip = new GZipStream(file, CompressionLevel.Fastest))
            gzip.Write("{\"x\":1}\n{\"x\":2}\n"u8);

        using var stream = JsonLines.OpenRead(path);

        Assert.Equal(2, JsonLines.ReadLines(stream).Count());
    }

    [Fact]
    public void WriteAllAndReadAllRoundTripRecords()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tx-{Guid.NewGuid():N}.jsonl");
        var records = new[] { JsonRoundTripTests.SampleTransaction(), JsonRoundTripTests.SampleTransaction() with { TxnId = "sbi-2" } };

        JsonLines.WriteAll(path, records, ContractsJsonContext.Default.Transaction);

        Assert.Equal(records, JsonLines.ReadAll(path, ContractsJsonContext.Default.Transaction));
    }
}
