using System.Collections.Concurrent;

namespace SkimGuard.Contracts.Json;

/// <summary>
/// A write-only stream that fills 1 MiB buffers and hands each full one to a background thread that writes it
/// to the inner stream. Serialising records and the kernel's copy into the page cache then run on two cores
/// instead of one: on this 2-core machine that is most of the gap between serialising and writing a file.
/// </summary>
internal sealed class WriteBehindStream : Stream
{
    private const int BufferSize = 1 << 20;
    private const int BuffersInFlight = 4;

    private readonly Stream _inner;
    private readonly BlockingCollection<(byte[] Buffer, int Length)> _full = new(BuffersInFlight);
    private readonly ConcurrentBag<byte[]> _free = [];
    private readonly Thread _writer;
    private byte[] _current = new byte[BufferSize];
    private int _length;
    private volatile Exception? _failure; // set by the writer thread, read by the caller's
    private bool _disposed;

    public WriteBehindStream(Stream inner)
    {
        _inner = inner;
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "write-behind" };
        _writer.Start();
    }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (buffer.Length > 0)
        {
            var n = Math.Min(buffer.Length, _current.Length - _length);
            buffer[..n].CopyTo(_current.AsSpan(_length));
            _length += n;
            buffer = buffer[n..];
            if (_length == _current.Length)
                HandOver();
        }
    }

    public override void WriteByte(byte value)
    {
        _current[_length++] = value;
        if (_length == _current.Length)
            HandOver();
    }

    /// <summary>Hands over what is buffered; the background thread writes it soon. Dispose waits for all of it.</summary>
    public override void Flush()
    {
        if (_length > 0)
            HandOver();
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            Flush();
            _full.CompleteAdding();
            _writer.Join();
            _inner.Dispose();
            _full.Dispose();
            if (_failure is not null)
                throw new IOException("writing the file failed", _failure);
        }
        base.Dispose(disposing);
    }

    private void HandOver()
    {
        if (_failure is not null)
            throw new IOException("writing the file failed", _failure);
        _full.Add((_current, _length));
        _current = _free.TryTake(out var recycled) ? recycled : new byte[BufferSize];
        _length = 0;
    }

    private void WriteLoop()
    {
        foreach (var (buffer, length) in _full.GetConsumingEnumerable())
        {
            try
            {
                if (_failure is null)
                    _inner.Write(buffer, 0, length);
            }
            catch (IOException ex)
            {
                _failure = ex;
            }
            _free.Add(buffer);
        }
        try
        {
            if (_failure is null)
                _inner.Flush();
        }
        catch (IOException ex)
        {
            _failure = ex;
        }
    }
}
