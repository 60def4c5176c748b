using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Detector.Modules.Tenancy.Idempotency;

/// <summary>
/// SHA-256 of a request body as it streams past. A multipart body is fingerprinted as what it
/// carries, not as its bytes: HttpClient and curl pick a fresh random boundary for every request,
/// so a client retrying the same upload sends different bytes. The body is parsed as RFC 2046
/// does (a delimiter is CRLF "--" boundary, never the boundary string alone, which may occur
/// anywhere in an image) and each part is hashed as its headers that matter (Content-Disposition,
/// Content-Type) and its content, with the preamble, the delimiter lines and the epilogue, each
/// length-delimited: where one part ends and the next begins is part of the fingerprint. A body
/// that is not valid multipart is hashed as it goes, from where the parse gave up. Delimiter
/// matching is Knuth-Morris-Pratt, so hostile bodies and long boundaries stay linear.
/// </summary>
internal sealed class BodyFingerprint : IDisposable
{
    private const int HeaderLimit = 16 * 1024; // MultipartReader's own limit on a part's headers
    private const int LineLimit = 1024; // the rest of a delimiter line: "--" or transport padding
    private static readonly string[] MeaningfulHeaders = ["content-disposition", "content-type"];

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly IncrementalHash _section = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _delimiter;
    private readonly int[] _failure;
    private readonly byte[] _buffer;
    private int _buffered;
    private int _matched;
    private byte[] _headers = [];
    private State _state;

    public BodyFingerprint(string? boundary)
    {
        if (string.IsNullOrEmpty(boundary))
        {
            _delimiter = [];
            _failure = [];
            _buffer = [];
            _state = State.Raw;
            return;
        }

        _delimiter = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        _failure = new int[_delimiter.Length];
        for (int i = 1, k = 0; i < _delimiter.Length; i++)
        {
            while (k > 0 && _delimiter[i] != _delimiter[k])
            {
                k = _failure[k - 1];
            }

            if (_delimiter[i] == _delimiter[k])
            {
                k++;
            }

            _failure[i] = k;
        }

        _buffer = new byte[HeaderLimit];
        _state = State.Preamble;
        _matched = 2; // as if the body began with CRLF: the first delimiter may start the body
    }

    private enum State
    {
        Raw,
        Preamble,
        DelimiterLine,
        Headers,
        Content,
        Epilogue,
    }

    public long Length { get; private set; }

    /// <summary>How many multipart delimiters the body had, the closing one included.</summary>
    public int Delimiters { get; private set; }

    public void Append(ReadOnlySpan<byte> data)
    {
        Length += data.Length;
        while (!data.IsEmpty)
        {
            var used = _state switch
            {
                State.Preamble or State.Content => Scan(data),
                State.DelimiterLine => ReadDelimiterLine(data),
                State.Headers => ReadHeaders(data),
                _ => AddContent(data),
            };
            data = data[used..];
        }
    }

    /// <summary>The fingerprint of the request: method, path, query, media type and the body hash.</summary>
    public byte[] Finish(string method, string path, string query, string mediaType)
    {
        byte[] body;
        if (_state == State.Raw && _delimiter.Length == 0)
        {
            body = _section.GetHashAndReset(); // not multipart: the bytes themselves, as ever
        }
        else
        {
            // Whatever the body ended in the middle of is part of it, as it stands.
            AddContent(_delimiter.AsSpan(0, _matched));
            _matched = 0;
            Record("end:" + _state, _state == State.Content ? _headers : _buffer.AsSpan(0, _buffered));
            body = _hash.GetHashAndReset();
        }

        return SHA256.HashData(Encoding.UTF8.GetBytes($"{method}\n{path}\n{query}\n{mediaType}\n{Convert.ToHexString(body)}"));
    }

    public void Dispose()
    {
        _hash.Dispose();
        _section.Dispose();
    }

    /// <summary>Preamble or a part's content up to the next delimiter; returns the bytes used.</summary>
    private int Scan(ReadOnlySpan<byte> data)
    {
        var i = 0;
        while (i < data.Length)
        {
            if (_matched == 0)
            {
                // Fast path: everything up to the next byte that could start a delimiter is content.
                var next = data[i..].IndexOf(_delimiter[0]);
                var run = next < 0 ? data.Length - i : next;
                AddContent(data.Slice(i, run));
                i += run;
                if (i == data.Length)
                {
                    return i;
                }
            }

            var c = data[i++];
            while (_matched > 0 && _delimiter[_matched] != c)
            {
                // The bytes given up on only began like a delimiter: they are content.
                var keep = _failure[_matched - 1];
                AddContent(_delimiter.AsSpan(0, _matched - keep));
                _matched = keep;
            }

            if (_delimiter[_matched] != c)
            {
                AddContent([c]);
            }
            else if (++_matched == _delimiter.Length)
            {
                _matched = 0;
                Delimiters++;
                Record(_state == State.Preamble ? "preamble" : "part", _headers);
                _state = State.DelimiterLine;
                return i;
            }
        }

        return i;
    }

    /// <summary>The rest of a delimiter's line: "--" closes the body, anything else (padding) opens a part.</summary>
    private int ReadDelimiterLine(ReadOnlySpan<byte> data)
    {
        var end = data.IndexOf((byte)'\n');
        var take = end < 0 ? data.Length : end + 1;
        if (!Buffer(data[..take], LineLimit))
        {
            return take;
        }

        if (end >= 0)
        {
            var line = _buffer.AsSpan(0, _buffered);
            var closing = line.StartsWith("--"u8);
            Record(closing ? "close" : "delimiter", line);
            _buffered = 0;
            _state = closing ? State.Epilogue : State.Headers;
        }

        return take;
    }

    /// <summary>A part's header lines, up to the empty line; kept as the headers that matter.</summary>
    private int ReadHeaders(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            if (!Buffer(data.Slice(i, 1), HeaderLimit))
            {
                return i + 1;
            }

            var block = _buffer.AsSpan(0, _buffered);
            if (block.EndsWith("\r\n"u8) && (block.Length == 2 || block.EndsWith("\r\n\r\n"u8)))
            {
                _headers = Canonical(block);
                _buffered = 0;
                _state = State.Content;
                return i + 1;
            }
        }

        return data.Length;
    }

    /// <summary>Keeps bytes of a line or header block; past the limit the body is not valid multipart and is hashed raw from here.</summary>
    private bool Buffer(ReadOnlySpan<byte> data, int limit)
    {
        if (_buffered + data.Length <= limit)
        {
            data.CopyTo(_buffer.AsSpan(_buffered));
            _buffered += data.Length;
            return true;
        }

        Record("raw:" + _state, []);
        AddContent(_buffer.AsSpan(0, _buffered));
        AddContent(data);
        _buffered = 0;
        _state = State.Raw;
        return false;
    }

    /// <summary>Content-Disposition and Content-Type, names in lower case and values trimmed, sorted: what a form reader acts on.</summary>
    private static byte[] Canonical(ReadOnlySpan<byte> block)
    {
        var kept = new List<string>();
        foreach (var line in Encoding.Latin1.GetString(block).Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var name = colon < 0 ? "" : line[..colon].Trim().ToLowerInvariant();
            if (MeaningfulHeaders.Contains(name))
            {
                kept.Add(name + ":" + line[(colon + 1)..].Trim());
            }
        }

        kept.Sort(StringComparer.Ordinal);
        return Encoding.Latin1.GetBytes(string.Join('\n', kept));
    }

    private int AddContent(ReadOnlySpan<byte> data)
    {
        _section.AppendData(data);
        return data.Length;
    }

    /// <summary>Ends a section: its kind, its metadata and the hash of its content, each length-delimited.</summary>
    private void Record(string kind, ReadOnlySpan<byte> meta)
    {
        Field(Encoding.ASCII.GetBytes(kind));
        Field(meta);
        Field(_section.GetHashAndReset());
        _headers = [];
    }

    private void Field(ReadOnlySpan<byte> value)
    {
        Span<byte> length = stackalloc byte[sizeof(int)];
        BinaryPrimitives.WriteInt32LittleEndian(length, value.Length);
        _hash.AppendData(length);
        _hash.AppendData(value);
    }
}
