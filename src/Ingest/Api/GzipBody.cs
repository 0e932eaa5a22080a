using System.Buffers.Binary;
using System.IO.Compression;
using System.IO.Hashing;

namespace SkimGuard.Ingest.Api;

/// <summary>
/// Unpacks a gzip request body and checks that it is whole. .NET's GZipStream ends quietly where a cut-off body ends,
/// so a truncated upload would be read as fewer records and those accepted; the gzip trailer (CRC-32 and length of
/// the unpacked bytes, RFC 1952 section 2.3.1) tells a whole body from a cut one.
/// </summary>
internal static class GzipBody
{
    /// <summary>The unpacked bytes, or why the body is refused and with which status (null bytes).</summary>
    public static (byte[]? Unpacked, string? Problem, int Status) Unpack(ReadOnlyMemory<byte> packed, long maxUnpackedBytes)
    {
        if (packed.Length < 18) // a 10-byte header, an empty deflate block and the 8-byte trailer at the least
            return (null, "the body is not valid gzip", StatusCodes.Status400BadRequest);
        using var unpacked = new MemoryStream();
        try
        {
            using var gzip = new GZipStream(new MemoryStream(packed.ToArray(), writable: false), CompressionMode.Decompress);
            var chunk = new byte[81920];
            int read;
            while ((read = gzip.Read(chunk)) > 0)
            {
                if (unpacked.Length + read > maxUnpackedBytes)
                    return (null, $"the body is larger than {maxUnpackedBytes} bytes unpacked", StatusCodes.Status413PayloadTooLarge);
                unpacked.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            return (null, "the body is not valid gzip", StatusCodes.Status400BadRequest);
        }
        var bytes = unpacked.ToArray();
        var trailer = packed.Span[^8..];
        var whole = BinaryPrimitives.ReadUInt32LittleEndian(trailer) == Crc32.HashToUInt32(bytes)
            && BinaryPrimitives.ReadUInt32LittleEndian(trailer[4..]) == (uint)bytes.Length;
        return whole
            ? (bytes, null, 0)
            : (null, "the gzip body is cut off or damaged (its CRC-32 or length does not match); nothing was read: send it whole, as one gzip member",
                StatusCodes.Status400BadRequest);
    }
}
