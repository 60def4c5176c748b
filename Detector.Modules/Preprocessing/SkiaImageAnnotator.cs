using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Detector.Modules.Preprocessing;

/// <summary>
/// Skia's decode, orientation, resize and drawing. A box's colour comes from its class id, so a
/// class looks the same on every image; the stroke and the label grow with the picture so a
/// 12 MP photo and a thumbnail read alike.
/// </summary>
internal sealed class SkiaImageAnnotator(IOptions<PreprocessingOptions> options) : IImageAnnotator
{
    /// <summary>Tableau-like colours, distinct on photos and legible under white text.</summary>
    internal static readonly SKColor[] Palette =
    [
        new(0x1F, 0x77, 0xB4), new(0xFF, 0x7F, 0x0E), new(0x2C, 0xA0, 0x2C), new(0xD6, 0x27, 0x28), new(0x94, 0x67, 0xBD),
        new(0x8C, 0x56, 0x4B), new(0xE3, 0x77, 0xC2), new(0x17, 0xBE, 0xCF), new(0xBC, 0xBD, 0x22), new(0x7F, 0x7F, 0x7F),
    ];

    public static SKColor ColourOf(int classId) => Palette[((classId % Palette.Length) + Palette.Length) % Palette.Length];

    public byte[] Annotate(byte[] encoded, IReadOnlyList<AnnotationBox> boxes, int? maxSide, AnnotatedFormat format)
    {
        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data) ?? throw new InvalidDataException("The image could not be decoded.");
        var origin = codec.EncodedOrigin;
        var swaps = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        var (uprightWidth, uprightHeight) = swaps ? (codec.Info.Height, codec.Info.Width) : (codec.Info.Width, codec.Info.Height);
        var longSide = Math.Max(uprightWidth, uprightHeight);
        var scale = maxSide is { } side && longSide > side ? (float)side / longSide : 1f;
        var width = Math.Max(1, (int)Math.Round(uprightWidth * scale));
        var height = Math.Max(1, (int)Math.Round(uprightHeight * scale));

        // libjpeg decodes at 1/8..1/2 of full size for free; a thumbnail needs no 12 MP decode.
        var decodeSize = codec.EncodedFormat == SKEncodedImageFormat.Jpeg && scale < 1f ? codec.GetScaledDimensions(Math.Max(scale, 0.125f)) : codec.Info.Size;
        using var decoded = new SKBitmap(codec.Info.WithSize(decodeSize).WithColorType(SKColorType.Rgba8888).WithAlphaType(SKAlphaType.Premul));
        if (codec.GetPixels(decoded.Info, decoded.GetPixels()) is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            throw new InvalidDataException("The image could not be decoded.");
        }

        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidDataException("The image is too large to draw on.");
        var canvas = surface.Canvas;
        // One draw orients and scales together: the decoded pixels are never copied upright first.
        var toCanvas = SKMatrix.CreateScale((float)width / (swaps ? decodeSize.Height : decodeSize.Width), (float)height / (swaps ? decodeSize.Width : decodeSize.Height));
        canvas.SetMatrix(toCanvas.PreConcat(OriginMatrix(origin, decodeSize.Width, decodeSize.Height)));
        using (var image = SKImage.FromBitmap(decoded))
        {
            canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear));
        }

        canvas.ResetMatrix();
        Draw(canvas, boxes, scale, width, height);
        using var snapshot = surface.Snapshot();
        using var output = format == AnnotatedFormat.Png
            ? snapshot.Encode(SKEncodedImageFormat.Png, 100)
            : snapshot.Encode(SKEncodedImageFormat.Jpeg, options.Value.AnnotatedJpegQuality);
        return output?.ToArray() ?? throw new InvalidDataException("The annotated image could not be encoded.");
    }

    private static void Draw(SKCanvas canvas, IReadOnlyList<AnnotationBox> boxes, float scale, int width, int height)
    {
        var stroke = Math.Max(2f, MathF.Round(Math.Max(width, height) / 320f));
        using var font = new SKFont(SKTypeface.Default, Math.Max(11f, stroke * 6));
        using var line = new SKPaint { Style = SKPaintStyle.Stroke, StrokeWidth = stroke, IsAntialias = false };
        using var fill = new SKPaint { Style = SKPaintStyle.Fill, IsAntialias = false };
        using var text = new SKPaint { Color = SKColors.White, IsAntialias = true };
        foreach (var box in boxes)
        {
            var colour = ColourOf(box.ClassId);
            line.Color = colour;
            fill.Color = colour;
            // The stroke lies inside the box, so its outer edge is the box's edge.
            var rect = new SKRect(box.X1 * scale, box.Y1 * scale, box.X2 * scale, box.Y2 * scale);
            rect.Inflate(-stroke / 2, -stroke / 2);
            canvas.DrawRect(rect, line);
            var caption = $"{box.Label} {box.Score:0.00}";
            var textWidth = font.MeasureText(caption);
            var labelHeight = font.Size * 1.25f;
            // The caption sits above the box, or inside it when the box touches the top.
            var top = rect.Top - labelHeight >= 0 ? rect.Top - labelHeight : rect.Top;
            var left = Math.Clamp(rect.Left - (stroke / 2), 0, Math.Max(0, width - textWidth - 4));
            canvas.DrawRect(new SKRect(left, top, left + textWidth + 4, top + labelHeight), fill);
            canvas.DrawText(caption, left + 2, top + font.Size, SKTextAlign.Left, font, text);
        }
    }

    /// <summary>The transform that draws an encoded image upright (EXIF orientations 2 to 8).</summary>
    private static SKMatrix OriginMatrix(SKEncodedOrigin origin, int w, int h) => origin switch
    {
        SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
        SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
        SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
        SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
        SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
        _ => SKMatrix.Identity,
    };
}
