namespace Detector.Modules.Tenancy.Idempotency;

/// <summary>A request body stream that feeds everything read through it to a <see cref="BodyFingerprint"/>.</summary>
internal sealed class FingerprintingStream(Stream inner, BodyFingerprint fingerprint) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer);
        fingerprint.Append(buffer[..n]);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        fingerprint.Append(buffer.Span[..n]);
        return n;
    }

    /// <summary>Reads what the handler left unread, so the fingerprint covers the whole body.</summary>
    public async Task DrainAsync(CancellationToken ct)
    {
        var scratch = new byte[16 * 1024];
        while (await ReadAsync(scratch, ct) > 0)
        {
        }
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
