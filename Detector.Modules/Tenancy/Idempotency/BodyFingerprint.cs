using System.Security.Cryptography;
using System.Text;

namespace Detector.Modules.Tenancy.Idempotency;

/// <summary>
/// SHA-256 of a request body as it streams past, blind to a multipart boundary: HttpClient and
/// curl pick a fresh random boundary for every request, so a client retrying the same upload
/// sends different bytes; with every occurrence of the boundary left out, both hash alike.
/// Boundary matching is Knuth-Morris-Pratt, so hostile bodies and long boundaries stay linear.
/// </summary>
internal sealed class BodyFingerprint : IDisposable
{
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _boundary;
    private readonly int[] _failure;
    private int _matched;

    public BodyFingerprint(string? boundary)
    {
        _boundary = string.IsNullOrEmpty(boundary) ? [] : Encoding.ASCII.GetBytes(boundary);
        _failure = new int[_boundary.Length];
        for (int i = 1, k = 0; i < _boundary.Length; i++)
        {
            while (k > 0 && _boundary[i] != _boundary[k])
            {
                k = _failure[k - 1];
            }

            if (_boundary[i] == _boundary[k])
            {
                k++;
            }

            _failure[i] = k;
        }
    }

    public long Length { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        if (_boundary.Length == 0)
        {
            _hash.AppendData(data);
            return;
        }

        var i = 0;
        while (i < data.Length)
        {
            if (_matched == 0)
            {
                // Fast path: hash everything up to the next byte that could start a boundary.
                var next = data[i..].IndexOf(_boundary[0]);
                var run = next < 0 ? data.Length - i : next;
                _hash.AppendData(data.Slice(i, run));
                i += run;
                if (i == data.Length)
                {
                    return;
                }
            }

            var c = data[i];
            while (_matched > 0 && _boundary[_matched] != c)
            {
                // The bytes given up on are the start of the boundary itself: hash them.
                var keep = _failure[_matched - 1];
                _hash.AppendData(_boundary.AsSpan(0, _matched - keep));
                _matched = keep;
            }

            if (_boundary[_matched] == c)
            {
                _matched++;
                if (_matched == _boundary.Length)
                {
                    _matched = 0; // a whole boundary: left out
                }
            }
            else
            {
                _hash.AppendData([c]);
            }

            i++;
        }
    }

    /// <summary>The fingerprint of the request: method, path, query, media type and the body hash.</summary>
    public byte[] Finish(string method, string path, string query, string mediaType)
    {
        _hash.AppendData(_boundary.AsSpan(0, _matched));
        _matched = 0;
        var body = _hash.GetHashAndReset();
        return SHA256.HashData(Encoding.UTF8.GetBytes($"{method}\n{path}\n{query}\n{mediaType}\n{Convert.ToHexString(body)}"));
    }

    public void Dispose() => _hash.Dispose();
}

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
