using System.Diagnostics;
using System.Runtime.InteropServices;
using Detector.Modules.Common;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Detector.Modules.Preprocessing;

internal sealed unsafe class SkiaImagePreprocessor(IOptions<PreprocessingOptions> options) : IImagePreprocessor
{
    private readonly PreprocessingOptions _options = options.Value;

    public ImageHeader Inspect(ReadOnlySpan<byte> encoded)
    {
        var format = ImageFormatSniffer.Sniff(encoded);
        CheckDecodeCost(encoded, format);
        fixed (byte* bytes = encoded)
        {
            using var data = WrapWithoutCopy(bytes, encoded.Length);
            using var codec = OpenCodec(data);
            return ReadHeader(codec, format);
        }
    }

    public PreprocessedImage Preprocess(ReadOnlyMemory<byte> encoded, PreprocessSpec spec, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ValidateSpec(spec);
        if ((long)destination.Length != 3L * spec.Width * spec.Height)
        {
            throw new ArgumentException($"Destination must hold 3*{spec.Width}*{spec.Height} floats, not {destination.Length}.", nameof(destination));
        }

        var started = Stopwatch.GetTimestamp();

        var format = ImageFormatSniffer.Sniff(encoded.Span);
        CheckDecodeCost(encoded.Span, format);
        using var pin = encoded.Pin();
        using var data = WrapWithoutCopy((byte*)pin.Pointer, encoded.Length);
        using var codec = OpenCodec(data);
        var header = ReadHeader(codec, format);
        var geometry = LetterboxGeometry.For(spec, header.Width, header.Height);

        var decodeSize = format == ImageFormatSniffer.Jpeg && _options.ScaledJpegDecode
            ? ChooseJpegDecodeSize(codec, header.Orientation, geometry)
            : codec.Info.Size;

        var info = new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var length = checked(info.RowBytes * info.Height);
        var pixels = (byte*)NativeMemory.Alloc((nuint)length);
        try
        {
            // Null colour space: no ICC conversion, like Pillow and OpenCV, whose pixels the models were scored on.
            var result = codec.GetPixels(info, (IntPtr)pixels);
            if (result != SKCodecResult.Success)
            {
                throw Corrupt($"Decoding stopped with {result}.");
            }

            TensorWriter.Write(
                new ReadOnlySpan<byte>(pixels, length),
                info.Width,
                info.Height,
                info.RowBytes,
                header.Orientation,
                spec,
                geometry,
                destination);
        }
        finally
        {
            NativeMemory.Free(pixels);
        }

        return new PreprocessedImage(header, geometry.Transform, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// libjpeg decodes at k/8 scale for a fraction of the cost; pick the smallest k whose oriented
    /// result still has at least as many pixels as the resized image on both axes, so the bilinear
    /// step never upsamples. Only k &lt;= 4 is tried: between 1/2 and full size the saving is small
    /// (about 1 ms on a 640x480 photo) while the DCT-scaled pixels differ from the full decode plus
    /// INTER_LINEAR that the reference mAP was measured on, which is exactly the COCO-sized case.
    /// </summary>
    internal static SKSizeI ChooseJpegDecodeSize(SKCodec codec, int orientation, LetterboxGeometry geometry)
    {
        var full = codec.Info.Size;
        for (var k = 1; k <= 4; k++)
        {
            var size = codec.GetScaledDimensions(k / 8f);
            var (w, h) = orientation >= 5 ? (size.Height, size.Width) : (size.Width, size.Height);
            if (w >= geometry.ResizedWidth && h >= geometry.ResizedHeight && size.Width <= full.Width && size.Height <= full.Height)
            {
                return size;
            }
        }

        return full;
    }

    private ImageHeader ReadHeader(SKCodec codec, string format)
    {
        var info = codec.Info;
        var orientation = (int)codec.EncodedOrigin;
        if (orientation is < 1 or > 8)
        {
            orientation = 1;
        }

        var (width, height) = orientation >= 5 ? (info.Height, info.Width) : (info.Width, info.Height);
        if (width <= 0 || height <= 0)
        {
            throw Corrupt("The header declares an empty image.");
        }

        if ((long)width * height > _options.MaxPixels)
        {
            throw new DomainException(
                OutcomeKind.TooLarge,
                ErrorCodes.ImageTooLarge,
                "Image has too many pixels",
                $"The image is {width}x{height}; at most {_options.MaxPixels} pixels are accepted.");
        }

        return new ImageHeader(format, width, height, orientation);
    }

    /// <summary>
    /// What bounds a decode's CPU, checked before it starts (a decode cannot be interrupted):
    /// pixels (<see cref="PreprocessingOptions.MaxPixels"/>, from the header) and, for progressive
    /// JPEGs, scans (<see cref="PreprocessingOptions.MaxJpegScans"/>). GIF and WebP decode one frame.
    /// </summary>
    private void CheckDecodeCost(ReadOnlySpan<byte> encoded, string format)
    {
        if (format == ImageFormatSniffer.Jpeg && JpegScans.Count(encoded, _options.MaxJpegScans) is var scans && scans > _options.MaxJpegScans)
        {
            throw new DomainException(
                OutcomeKind.TooLarge,
                ErrorCodes.ImageTooComplex,
                "Image too costly to decode",
                $"The progressive JPEG has more than {_options.MaxJpegScans} scans ({scans} counted); re-encode it (encoders write about 10).");
        }
    }

    private static SKCodec OpenCodec(SKData data)
    {
        return SKCodec.Create(data) ?? throw Corrupt("The image header could not be read.");
    }

    /// <summary>The caller keeps the bytes pinned for the SKData's lifetime; a copy would double a large upload's memory.</summary>
    private static SKData WrapWithoutCopy(byte* bytes, int length) => SKData.Create((IntPtr)bytes, length, null);

    private static void ValidateSpec(PreprocessSpec spec)
    {
        if (spec.Width <= 0 || spec.Height <= 0)
        {
            throw new ArgumentException("Input width and height must be positive.", nameof(spec));
        }

        if (spec.Mean.Count != 3 || spec.Std.Count != 3)
        {
            throw new ArgumentException("Mean and Std need one value per channel (3).", nameof(spec));
        }

        if (spec.Std.Any(s => s == 0 || !float.IsFinite(s)))
        {
            throw new ArgumentException("Std values must be finite and non-zero.", nameof(spec));
        }
    }

    private static DomainException Corrupt(string detail) =>
        new(OutcomeKind.Unprocessable, ErrorCodes.CorruptImage, "Corrupt image", detail);
}
