using System.Buffers;
using System.IO.Compression;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SkimGuard.Contracts.Json;

/// <summary>Reading and writing JSON lines files (one object per line), plain or gzip-compressed by a ".gz" name.</summary>
public static class JsonLines
{
    private const int BufferSize = 1 << 16;

    /// <summary>Opens a file for reading, decompressing it when its name ends in ".gz".</summary>
    public static Stream OpenRead(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        return path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new BufferedStream(new GZipStream(file, CompressionMode.Decompress), BufferSize)
            : file;
    }

    /// <summary>
    /// Creates a file for writing, compressing it when its name ends in ".gz". Writes are buffered and the file
    /// (and compression) written on a background thread; disposing the stream waits until all is written.
    /// </summary>
    public static Stream Create(string path)
    {
        var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
        return new WriteBehindStream(path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionLevel.Fastest)
            : file);
    }

    /// <summary>
    /// Yields each line of the stream as raw UTF-8 bytes with its 1-based line number, without decoding it to a
    /// string. The memory of a line is only valid until the next line is read. Blank lines are skipped.
    /// </summary>
    public static IEnumerable<RawLine> ReadLines(Stream stream)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            int start = 0, end = 0;
            long lineNumber = 0;
            while (true)
            {
                var newline = Array.IndexOf(buffer, (byte)'\n', start, end - start);
                if (newline >= 0)
                {
                    lineNumber++;
                    var line = FirstLineWithoutBom(lineNumber, TrimCarriageReturn(buffer.AsMemory(start, newline - start)));
                    start = newline + 1;
                    if (line.Length > 0)
                        yield return new RawLine(lineNumber, line);
                    continue;
                }
                // No full line left in the buffer: keep the tail, grow if one line fills the buffer, read more.
                if (start > 0)
                {
                    Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                    end -= start;
                    start = 0;
                }
                if (end == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    Buffer.BlockCopy(buffer, 0, bigger, 0, end);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = stream.Read(buffer, end, buffer.Length - end);
                if (read == 0)
                {
                    if (end > start)
                    {
                        lineNumber++;
                        var last = FirstLineWithoutBom(lineNumber, TrimCarriageReturn(buffer.AsMemory(start, end - start)));
                        if (last.Length > 0)
                            yield return new RawLine(lineNumber, last);
                    }
                    yield break;
                }
                end += read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads every line of a trusted file (one this project wrote) as <typeparamref name="T"/>.</summary>
    public static IEnumerable<T> ReadAll<T>(string path, JsonTypeInfo<T> typeInfo)
    {
        using var stream = OpenRead(path);
        foreach (var line in ReadLines(stream))
            yield return JsonSerializer.Deserialize(line.Utf8.Span, typeInfo)
                ?? throw new InvalidDataException($"{path}:{line.Number}: a null record");
    }

    /// <summary>Writes one record and a newline.</summary>
    public static void Write<T>(Utf8JsonWriter writer, Stream stream, T record, JsonTypeInfo<T> typeInfo)
    {
        JsonSerializer.Serialize(writer, record, typeInfo);
        writer.Flush();
        writer.Reset();
        stream.WriteByte((byte)'\n');
    }

    /// <summary>Writes a whole file of records, one per line.</summary>
    public static void WriteAll<T>(string path, IEnumerable<T> records, JsonTypeInfo<T> typeInfo)
    {
        using var stream = Create(path);
        using var writer = new Utf8JsonWriter(stream);
        foreach (var record in records)
            Write(writer, stream, record, typeInfo);
    }

    private static ReadOnlyMemory<byte> FirstLineWithoutBom(long lineNumber, ReadOnlyMemory<byte> line) =>
        lineNumber == 1 ? Utf8Bom.Skip(line) : line;

    private static ReadOnlyMemory<byte> TrimCarriageReturn(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}

/// <summary>One line of a JSON lines file: its 1-based number and its UTF-8 bytes.</summary>
public readonly record struct RawLine(long Number, ReadOnlyMemory<byte> Utf8);
