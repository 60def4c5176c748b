using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Preprocessing;

/// <summary>
/// The scan count of a progressive JPEG, read from its markers before anything is decoded. A
/// progressive JPEG's decode cost is its pixels times its scans, and libjpeg decodes every scan
/// before the first row comes out, so no clock can stop it midway: a crafted file with thousands
/// of scans would hold a preprocess worker for minutes. Baseline JPEGs (one pass over the data)
/// are walked only up to their frame header. The walk is libjpeg's (<see cref="JpegMarkerWalker"/>):
/// stray bytes and stuffed zeros are skipped as the decoder skips them, so they cannot hide a
/// scan from the count.
/// </summary>
internal static class JpegScans
{
    /// <summary>The number of SOS segments when the frame is progressive (SOF2/SOF6/SOF10/SOF14), else 1.</summary>
    /// <param name="stopAfter">Counting stops past this many (the caller refuses the file anyway).</param>
    public static int Count(ReadOnlySpan<byte> jpeg, int stopAfter)
    {
        var progressive = false;
        var scans = 0;
        var walker = new JpegMarkerWalker(jpeg);
        while (walker.MoveNext())
        {
            var part = walker.Current;
            if (part.Kind == JpegPartKind.Marker && part.Marker == JpegMarkers.Eoi)
            {
                break;
            }

            if (part.Kind != JpegPartKind.Segment)
            {
                continue; // scan data, fill and stray bytes: the decoder passes over them too
            }

            if (JpegMarkers.IsProgressiveFrame(part.Marker))
            {
                progressive = true;
            }
            else if (JpegMarkers.IsSequentialFrame(part.Marker))
            {
                return 1; // sequential: its cost is bounded by its pixels
            }
            else if (part.Marker == JpegMarkers.Sos)
            {
                if (!progressive)
                {
                    return 1; // a scan before any frame header: malformed, left to the decoder
                }

                if (++scans > stopAfter)
                {
                    return scans;
                }
            }
        }

        return progressive ? scans : 1;
    }
}
