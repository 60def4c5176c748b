namespace Detector.Modules.Preprocessing;

/// <summary>
/// The scan count of a progressive JPEG, read from its markers before anything is decoded. A
/// progressive JPEG's decode cost is its pixels times its scans, and libjpeg decodes every scan
/// before the first row comes out, so no clock can stop it midway: a crafted file with thousands
/// of scans would hold a preprocess worker for minutes. Baseline JPEGs (one pass over the data)
/// are not walked at all.
/// </summary>
internal static class JpegScans
{
    /// <summary>The number of SOS segments when the frame is progressive (SOF2/SOF6/SOF10/SOF14), else 1.</summary>
    /// <param name="stopAfter">Counting stops past this many (the caller refuses the file anyway).</param>
    public static int Count(ReadOnlySpan<byte> jpeg, int stopAfter)
    {
        var i = 2; // after SOI
        var progressive = false;
        var scans = 0;
        while (i + 3 < jpeg.Length)
        {
            if (jpeg[i] != 0xFF)
            {
                i++;
                continue;
            }

            var marker = jpeg[i + 1];
            if (marker == 0xFF || marker == 0x01 || marker is >= 0xD0 and <= 0xD8)
            {
                i += marker == 0xFF ? 1 : 2; // fill byte, TEM, RSTn, SOI: no length
                continue;
            }

            if (marker == 0xD9)
            {
                break; // EOI
            }

            var length = (jpeg[i + 2] << 8) | jpeg[i + 3];
            if (marker is 0xC2 or 0xC6 or 0xCA or 0xCE)
            {
                progressive = true;
            }
            else if (marker is 0xC0 or 0xC1 or 0xC3 or 0xC5 or 0xC7 or 0xC9 or 0xCB or 0xCD or 0xCF)
            {
                return 1; // sequential: its cost is bounded by its pixels
            }

            i += 2 + length;
            if (marker != 0xDA)
            {
                continue;
            }

            if (!progressive)
            {
                return 1; // a scan before any frame header: malformed, left to the decoder
            }

            if (++scans > stopAfter)
            {
                return scans;
            }

            // Skip the entropy-coded data: up to the next marker that is not a stuffed 0xFF00 or RSTn,
            // found with the vectorised IndexOf (a byte-at-a-time loop cost about 1 ms per MB).
            while (i + 1 < jpeg.Length)
            {
                var ff = jpeg[i..].IndexOf((byte)0xFF);
                if (ff < 0 || i + ff + 1 >= jpeg.Length)
                {
                    i = jpeg.Length;
                    break;
                }

                i += ff;
                if (jpeg[i + 1] != 0x00 && jpeg[i + 1] is not (>= 0xD0 and <= 0xD7))
                {
                    break;
                }

                i++;
            }
        }

        return progressive ? scans : 1;
    }
}
