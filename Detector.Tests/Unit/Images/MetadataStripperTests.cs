using System.Buffers.Binary;
using System.Text;
using Detector.Modules.Images.Uploads.Metadata;
using Detector.Tests.Unit.Preprocessing;
using SkiaSharp;

namespace Detector.Tests.Unit.Images;

public sealed class MetadataStripperTests
{
    private static readonly byte[] Photo = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

    [Fact]
    public void A_phone_jpeg_loses_camera_gps_xmp_iptc_comments_and_trailer_but_keeps_its_orientation_and_pixels()
    {
        var image = PhotosWithMetadata.Jpeg(Photo, orientation: 6);

        var stripped = Strip(image);

        Assert.All(PhotosWithMetadata.Secrets, s => Assert.False(PhotosWithMetadata.Contains(stripped, s), s));
        Assert.Equal([0xFF, 0xD9], stripped[^2..]);
        Assert.Equal(SKEncodedOrigin.RightTop, Origin(stripped));
        Assert.Equal(Pixels(TestImages.WithExifOrientation(Photo, 6)), Pixels(stripped));
        Assert.True(stripped.Length < Photo.Length + 64, "nothing but the orientation was added");
    }

    [Fact]
    public void A_jpeg_with_normal_orientation_keeps_no_exif_at_all()
    {
        var stripped = Strip(PhotosWithMetadata.Jpeg(Photo, orientation: 1));

        Assert.False(PhotosWithMetadata.Contains(stripped, "Exif\0\0"));
        Assert.Equal(Pixels(Photo), Pixels(stripped));
    }

    [Fact]
    public void A_png_loses_text_exif_private_chunks_and_trailer_and_keeps_only_the_orientation()
    {
        using var bitmap = TestImages.Gradient(64, 48);
        var png = TestImages.Encode(bitmap, SKEncodedImageFormat.Png);

        var stripped = Strip(PhotosWithMetadata.Png(png, orientation: 6));

        Assert.All(PhotosWithMetadata.Secrets, s => Assert.False(PhotosWithMetadata.Contains(stripped, s), s));
        Assert.True(stripped.AsSpan().EndsWith(IendTail()), "ends at IEND");
        var exif = stripped.AsSpan().IndexOf("eXIf"u8);
        Assert.True(exif > 0, "the orientation is kept in an eXIf of its own");
        Assert.Equal(6, ExifOrientation.Read(stripped.AsSpan(exif + 4, ExifOrientation.TiffLength)));
        Assert.Equal(Pixels(png), Pixels(stripped));
    }

    [Fact]
    public void An_extended_webp_loses_exif_and_xmp_chunks_and_their_flags()
    {
        using var bitmap = TestImages.Gradient(64, 48);
        var simple = TestImages.Encode(bitmap, SKEncodedImageFormat.Webp, quality: 90);
        var webp = ExtendedWebp(simple[12..], exif: PhotosWithMetadata.ExifTiff(1), xmp: Encoding.ASCII.GetBytes("<x:xmpmeta>GPSLatitudeRef</x:xmpmeta>"));

        var stripped = Strip(webp);

        Assert.All(PhotosWithMetadata.Secrets, s => Assert.False(PhotosWithMetadata.Contains(stripped, s), s));
        Assert.Equal(0, stripped[20] & 0x0C); // VP8X flags: neither EXIF nor XMP
        Assert.Equal((uint)(stripped.Length - 8), BinaryPrimitives.ReadUInt32LittleEndian(stripped.AsSpan(4)));
        Assert.Equal(Pixels(simple), Pixels(stripped));
    }

    [Fact]
    public void A_gif_loses_comments_and_xmp_but_keeps_its_looping()
    {
        var gif = TestImages.Gif(4, 4, [SKColors.Red, SKColors.Blue], (x, y) => (x + y) % 2);
        var header = 13 + (3 << ((gif[10] & 7) + 1));
        byte[] extras =
        [
            0x21, 0xFE, 18, .. "HomeAddressComment"u8, 0,
            0x21, 0xFF, 11, .. "XMP DataXMP"u8, 7, .. "xmpmeta"u8, 0,
            0x21, 0xFF, 11, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0,
        ];
        var image = (byte[])[.. gif.AsSpan(0, header), .. extras, .. gif.AsSpan(header), .. "MotionPhotoVideoTrailer"u8];

        var stripped = Strip(image);

        Assert.All(PhotosWithMetadata.Secrets, s => Assert.False(PhotosWithMetadata.Contains(stripped, s), s));
        Assert.True(PhotosWithMetadata.Contains(stripped, "NETSCAPE2.0"));
        Assert.Equal(0x3B, stripped[^1]);
        Assert.Equal(Pixels(gif), Pixels(stripped));
    }

    [Fact]
    public void A_bmp_loses_what_was_appended_after_its_pixels_whatever_its_file_size_field_says()
    {
        var bmp = TestImages.Bmp(TestImages.Gradient(7, 5));
        var image = (byte[])[.. bmp, .. "MotionPhotoVideoTrailer"u8];
        BinaryPrimitives.WriteInt32LittleEndian(image.AsSpan(2), image.Length); // the sender's claim covers the trailer

        var stripped = Strip(image);

        Assert.Equal(bmp, stripped);
        Assert.All(PhotosWithMetadata.Secrets, s => Assert.False(PhotosWithMetadata.Contains(stripped, s), s));
        Assert.Equal(Pixels(bmp), Pixels(stripped));
    }

    [Fact]
    public void Formats_without_metadata_or_unknown_ones_are_left_as_they_are()
    {
        var bmp = TestImages.Bmp(TestImages.Solid(8, 8, SKColors.Green));
        Assert.Equal(bmp, Strip(bmp));
        Assert.Equal(TestImages.Heic(), Strip(TestImages.Heic()));
    }

    [Fact]
    public void Thousands_of_damaged_photos_never_throw_and_never_grow()
    {
        var random = new Random(13);
        var webp = TestImages.Encode(TestImages.Gradient(16, 16), SKEncodedImageFormat.Webp);
        var sources = new[]
        {
            PhotosWithMetadata.Jpeg(Photo, 6),
            PhotosWithMetadata.Png(TestImages.Encode(TestImages.Gradient(16, 16), SKEncodedImageFormat.Png), 3),
            ExtendedWebp(webp[12..], PhotosWithMetadata.ExifTiff(8), "<x:xmpmeta/>"u8.ToArray()),
            TestImages.Gif(4, 4, [SKColors.Red, SKColors.Blue], (x, y) => (x + y) % 2),
            TestImages.Bmp(TestImages.Gradient(7, 5)),
        };
        for (var i = 0; i < 8000; i++)
        {
            var image = (byte[])sources[i % sources.Length].Clone();
            var cut = random.Next(2) == 0 ? random.Next(Math.Min(4, image.Length), image.Length) : image.Length;
            for (var flips = random.Next(1, 8); flips > 0; flips--)
            {
                image[random.Next(Math.Min(cut, 2048))] = (byte)random.Next(256);
            }

            var length = MetadataStripper.Strip(image.AsSpan(0, cut));
            Assert.InRange(length, 0, cut);
        }
    }

    private static byte[] IendTail() => [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82];

    private static byte[] Strip(byte[] image)
    {
        var copy = (byte[])image.Clone();
        return copy[..MetadataStripper.Strip(copy)];
    }

    private static SKEncodedOrigin Origin(byte[] image)
    {
        using var codec = SKCodec.Create(new SKMemoryStream(image));
        return codec.EncodedOrigin;
    }

    private static byte[] Pixels(byte[] image)
    {
        using var bitmap = SKBitmap.Decode(image);
        Assert.NotNull(bitmap);
        return bitmap.Bytes;
    }

    /// <summary>A VP8X container around a simple WebP's image chunk, with EXIF and XMP chunks (flags set).</summary>
    private static byte[] ExtendedWebp(byte[] imageChunk, byte[] exif, byte[] xmp)
    {
        using var o = new MemoryStream();
        o.Write("RIFF\0\0\0\0WEBP"u8);
        var vp8x = new byte[10];
        vp8x[0] = 0x08 | 0x04;
        using (var decoded = SKBitmap.Decode([.. "RIFF"u8, .. BitConverter.GetBytes(imageChunk.Length + 4), .. "WEBP"u8, .. imageChunk]))
        {
            WriteU24(vp8x.AsSpan(4), decoded.Width - 1);
            WriteU24(vp8x.AsSpan(7), decoded.Height - 1);
        }

        Chunk(o, "VP8X", vp8x);
        o.Write(imageChunk);
        Chunk(o, "EXIF", exif);
        Chunk(o, "XMP ", xmp);
        var bytes = o.ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)(bytes.Length - 8));
        return bytes;
    }

    private static void Chunk(Stream o, string fourcc, byte[] data)
    {
        o.Write(Encoding.ASCII.GetBytes(fourcc));
        o.Write(BitConverter.GetBytes(data.Length));
        o.Write(data);
        if (data.Length % 2 == 1)
        {
            o.WriteByte(0);
        }
    }

    private static void WriteU24(Span<byte> target, int value)
    {
        target[0] = (byte)value;
        target[1] = (byte)(value >> 8);
        target[2] = (byte)(value >> 16);
    }
}
