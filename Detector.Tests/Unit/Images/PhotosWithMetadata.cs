using System.Buffers.Binary;
using System.Text;

namespace Detector.Tests.Unit.Images;

/// <summary>
/// Photos as phones write them: camera EXIF with a GPS position, XMP, IPTC, a comment, and a
/// trailer after the image (a motion photo's video). Every marker string below must be gone
/// after stripping.
/// </summary>
internal static class PhotosWithMetadata
{
    public static readonly string[] Secrets = ["CanonSecretModel", "SN-998877", "GPSLatitudeRef", "xmpmeta", "8BIM", "HomeAddressComment", "MotionPhotoVideoTrailer", "PngTextSecret", "PrivateChunkSecret"];

    /// <summary>The JPEG with every kind of metadata; the EXIF holds Make, a serial, Orientation and a GPS IFD (little-endian).</summary>
    public static byte[] Jpeg(byte[] jpeg, int orientation)
    {
        using var o = new MemoryStream();
        o.Write(jpeg.AsSpan(0, 2));
        Segment(o, 0xE1, [.. "Exif\0\0"u8, .. ExifTiff(orientation)]);
        Segment(o, 0xE1, Encoding.ASCII.GetBytes("http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><exif:GPSLatitude>52,12.5N</exif:GPSLatitude></x:xmpmeta>"));
        Segment(o, 0xED, Encoding.ASCII.GetBytes("Photoshop 3.0\08BIM\u0004\u0004\0\0\0\0\0\u0010\u001c\u0002\u0078\0\u000bCaption here"));
        Segment(o, 0xE2, Encoding.ASCII.GetBytes("MPF\0II*\0 multi-picture data SN-998877"));
        Segment(o, 0xFE, Encoding.ASCII.GetBytes("HomeAddressComment: 1 Main St"));
        o.Write(jpeg.AsSpan(2));
        o.Write(Encoding.ASCII.GetBytes("MotionPhotoVideoTrailer ftypmp42 ..."));
        return o.ToArray();
    }

    /// <summary>IFD0: Make (ASCII at an offset), Orientation, a serial (ASCII), and the GPS IFD pointer to one GPSLatitudeRef entry; then the strings.</summary>
    public static byte[] ExifTiff(int orientation)
    {
        var make = Encoding.ASCII.GetBytes("CanonSecretModel\0");
        var serial = Encoding.ASCII.GetBytes("SN-998877\0");
        const int Ifd0 = 8;
        const int Ifd0Entries = 4;
        var gpsIfd = Ifd0 + 2 + (Ifd0Entries * 12) + 4;
        var strings = gpsIfd + 2 + 12 + 4;
        var tiff = new byte[strings + make.Length + serial.Length + 16];
        "II*\0"u8.CopyTo(tiff);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(4), Ifd0);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(Ifd0), Ifd0Entries);
        Entry(tiff, Ifd0 + 2, 0x010F, 2, (uint)make.Length, (uint)strings);
        Entry(tiff, Ifd0 + 14, 0x0112, 3, 1, (uint)orientation);
        Entry(tiff, Ifd0 + 26, 0xA431, 2, (uint)serial.Length, (uint)(strings + make.Length));
        Entry(tiff, Ifd0 + 38, 0x8825, 4, 1, (uint)gpsIfd);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(gpsIfd), 1);
        Entry(tiff, gpsIfd + 2, 0x0001, 2, 2, 'N');
        make.CopyTo(tiff, strings);
        serial.CopyTo(tiff, strings + make.Length);
        Encoding.ASCII.GetBytes("GPSLatitudeRef").CopyTo(tiff, strings + make.Length + serial.Length);
        return tiff;
    }

    /// <summary>The PNG with a text chunk, an eXIf (camera and orientation), a private chunk and a trailer after IEND.</summary>
    public static byte[] Png(byte[] png, int orientation)
    {
        var ihdrEnd = 8 + 12 + 13;
        using var o = new MemoryStream();
        o.Write(png.AsSpan(0, ihdrEnd));
        PngChunks.Write(o, "tEXt", Encoding.ASCII.GetBytes("Comment\0PngTextSecret at 52.1N"));
        PngChunks.Write(o, "eXIf", ExifTiff(orientation));
        PngChunks.Write(o, "prVt", Encoding.ASCII.GetBytes("PrivateChunkSecret"));
        o.Write(png.AsSpan(ihdrEnd));
        o.Write(Encoding.ASCII.GetBytes("MotionPhotoVideoTrailer"));
        return o.ToArray();
    }

    public static bool Contains(ReadOnlySpan<byte> bytes, string text) => bytes.IndexOf(Encoding.ASCII.GetBytes(text)) >= 0;

    private static void Entry(byte[] tiff, int at, ushort tag, ushort type, uint count, uint value)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), tag);
        BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at + 2), type);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 4), count);
        BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at + 8), value);
    }

    private static void Segment(Stream o, byte marker, byte[] payload)
    {
        o.Write([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
        o.Write(payload);
    }
}
