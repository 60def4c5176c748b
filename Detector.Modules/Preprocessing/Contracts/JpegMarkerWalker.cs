namespace Detector.Modules.Preprocessing.Contracts;

/// <summary>What a stretch of a JPEG is, as <see cref="JpegMarkerWalker"/> finds it.</summary>
public enum JpegPartKind
{
    /// <summary>A marker segment with a length (frame, tables, scan header, APPn, COM ...): marker, length and payload.</summary>
    Segment,

    /// <summary>A marker without a length (<see cref="JpegMarkers.IsStandalone"/>).</summary>
    Marker,

    /// <summary>A fill byte (0xFF) before a marker.</summary>
    Fill,

    /// <summary>A scan's entropy-coded data, up to the next marker that is not a restart; to the end of the data when it is cut short.</summary>
    ScanData,

    /// <summary>
    /// Bytes where a marker should be that make none: data outside a scan, a stuffed 0xFF00, a
    /// segment length below 2. A decoder skips them (libjpeg warns of extraneous data) and goes on
    /// at the next 0xFF, and so does the walk.
    /// </summary>
    Stray,

    /// <summary>The data ends inside a marker or a segment (its length runs past the end); the walk ends with it.</summary>
    Truncated,
}

/// <summary>One stretch of a JPEG: <c>jpeg[Start..End)</c>.</summary>
/// <param name="Marker">The marker byte (after 0xFF) of a segment, a standalone marker or a truncated one; 0 otherwise.</param>
public readonly record struct JpegPart(JpegPartKind Kind, byte Marker, int Start, int End)
{
    /// <summary>Where a segment's payload starts (after the marker and its two length bytes).</summary>
    public int PayloadStart => Start + 4;
}

/// <summary>
/// Walks a JPEG's structure after its SOI, part by part, the way libjpeg reads it: segments by
/// their length, a scan's entropy-coded data up to the next marker that is neither a stuffed
/// 0xFF00 nor a restart (fill bytes before a marker end the data), and stray bytes skipped to the
/// next 0xFF. Nothing is decoded and nothing allocated.
/// </summary>
/// <remarks>
/// The one walker of both places that must see a JPEG as its decoder will: the decode-cost bound
/// (Preprocessing's scan count) and metadata stripping before storage (Images). A stripper that
/// split segments differently from the decoder could keep a segment the decoder then reads as
/// metadata; a scan counter that did could miss scans the decoder then decodes. It lives in
/// Preprocessing's contracts because JPEG syntax is the decoder's business: Images references
/// Preprocessing for it (no cycle: Preprocessing depends only on the shared kernel, and its
/// SkiaSharp stays private to it), and the shared kernel keeps only what every module needs.
/// The walk reads nothing before the end of the part it last returned, so a caller may rewrite
/// the bytes up to there in place (the stripper compacts the image as it walks).
/// </remarks>
public ref struct JpegMarkerWalker(ReadOnlySpan<byte> jpeg)
{
    private readonly ReadOnlySpan<byte> _jpeg = jpeg;
    private int _next = 2; // after SOI
    private bool _scanFollows;

    /// <summary>The part found by the last <see cref="MoveNext"/>.</summary>
    public JpegPart Current { get; private set; }

    /// <summary>Finds the next part; false at the end of the data.</summary>
    public bool MoveNext()
    {
        var p = _next;
        var length = _jpeg.Length;
        if (p >= length)
        {
            return false;
        }

        if (_scanFollows)
        {
            _scanFollows = false;
            return Found(JpegPartKind.ScanData, 0, p, ScanDataEnd(p));
        }

        if (_jpeg[p] != 0xFF)
        {
            var ff = _jpeg[p..].IndexOf((byte)0xFF);
            return Found(JpegPartKind.Stray, 0, p, ff < 0 ? length : p + ff);
        }

        if (p + 1 >= length)
        {
            return Found(JpegPartKind.Truncated, 0, p, length);
        }

        var marker = _jpeg[p + 1];
        if (marker == 0xFF)
        {
            return Found(JpegPartKind.Fill, 0, p, p + 1);
        }

        if (marker == 0x00)
        {
            return Found(JpegPartKind.Stray, 0, p, p + 2); // a stuffed zero outside a scan
        }

        if (JpegMarkers.IsStandalone(marker))
        {
            return Found(JpegPartKind.Marker, marker, p, p + 2);
        }

        if (p + 4 > length)
        {
            return Found(JpegPartKind.Truncated, marker, p, length);
        }

        var segmentLength = (_jpeg[p + 2] << 8) | _jpeg[p + 3];
        if (segmentLength < 2)
        {
            return Found(JpegPartKind.Stray, marker, p, p + 4); // the length counts its own two bytes
        }

        var end = p + 2 + segmentLength;
        if (end > length)
        {
            return Found(JpegPartKind.Truncated, marker, p, length);
        }

        _scanFollows = marker == JpegMarkers.Sos;
        return Found(JpegPartKind.Segment, marker, p, end);
    }

    private bool Found(JpegPartKind kind, byte marker, int start, int end)
    {
        Current = new JpegPart(kind, marker, start, end);
        _next = end;
        return true;
    }

    /// <summary>
    /// Where the entropy-coded data from <paramref name="start"/> ends: at the last 0xFF before the
    /// next marker, found with the vectorised IndexOf (a byte-at-a-time loop cost about 1 ms per MB).
    /// 0xFF runs are fill; after them 0x00 (a stuffed 0xFF) or RSTn continue the data.
    /// </summary>
    private readonly int ScanDataEnd(int start)
    {
        var i = start;
        while (true)
        {
            var ff = _jpeg[i..].IndexOf((byte)0xFF);
            if (ff < 0)
            {
                return _jpeg.Length; // cut short: the data runs to the end
            }

            var next = i + ff + 1;
            while (next < _jpeg.Length && _jpeg[next] == 0xFF)
            {
                next++;
            }

            if (next >= _jpeg.Length)
            {
                return _jpeg.Length;
            }

            if (_jpeg[next] != 0x00 && !JpegMarkers.IsRestart(_jpeg[next]))
            {
                return next - 1;
            }

            i = next + 1;
        }
    }
}
