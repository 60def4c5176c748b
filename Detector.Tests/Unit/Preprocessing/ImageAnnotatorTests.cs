using Detector.Modules.Preprocessing;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;
using SkiaSharp;

namespace Detector.Tests.Unit.Preprocessing;

public sealed class ImageAnnotatorTests
{
    private static readonly SkiaImageAnnotator Annotator = new(Options.Create(new PreprocessingOptions()));

    private static SKBitmap Decode(byte[] encoded) => SKBitmap.Decode(encoded) ?? throw new InvalidDataException("not an image");

    [Fact]
    public void Each_box_edge_is_drawn_in_its_class_colour_and_the_photo_stays_outside_the_boxes()
    {
        using var grey = TestImages.Solid(400, 300, new SKColor(128, 128, 128));
        var photo = TestImages.Encode(grey, SKEncodedImageFormat.Png);
        AnnotationBox[] boxes = [new("dog", 16, 0.91f, 100, 80, 300, 260), new("cat", 15, 0.55f, 20, 200, 90, 290)];

        using var annotated = Decode(Annotator.Annotate(photo, boxes, maxSide: null, AnnotatedFormat.Png));

        Assert.Equal((400, 300), (annotated.Width, annotated.Height));
        foreach (var box in boxes)
        {
            var colour = SkiaImageAnnotator.ColourOf(box.ClassId);
            var midY = (int)((box.Y1 + box.Y2) / 2);
            Assert.Equal(colour, annotated.GetPixel((int)box.X1, midY));
            Assert.Equal(colour, annotated.GetPixel((int)box.X2 - 1, midY));
            Assert.Equal(colour, annotated.GetPixel((int)((box.X1 + box.X2) / 2), (int)box.Y2 - 1));
            Assert.Equal(new SKColor(128, 128, 128), annotated.GetPixel((int)((box.X1 + box.X2) / 2), midY));
        }

        Assert.NotEqual(SkiaImageAnnotator.ColourOf(16), SkiaImageAnnotator.ColourOf(15));
        Assert.Equal(new SKColor(128, 128, 128), annotated.GetPixel(380, 20));
    }

    [Fact]
    public void The_orientation_is_applied_before_drawing_so_boxes_land_where_detection_put_them()
    {
        // Stored 200 wide and 100 high, left half red; orientation 6 shows it 100 wide and 200 high, red on top.
        using var bitmap = TestImages.RedLeftBlueRight(200, 100);
        var photo = TestImages.WithExifOrientation(TestImages.Encode(bitmap, SKEncodedImageFormat.Jpeg, 100), 6);

        using var annotated = Decode(Annotator.Annotate(photo, [new("person", 0, 0.8f, 10, 120, 90, 190)], maxSide: null, AnnotatedFormat.Png));

        Assert.Equal((100, 200), (annotated.Width, annotated.Height));
        Assert.True(annotated.GetPixel(50, 40).Red > 200, "the top of the upright picture is the stored left half, red");
        Assert.True(annotated.GetPixel(50, 160).Blue > 200, "the bottom is blue, inside the box");
        Assert.Equal(SkiaImageAnnotator.ColourOf(0), annotated.GetPixel(10, 155));
    }

    [Fact]
    public void Max_side_scales_the_picture_and_its_boxes_together()
    {
        using var grey = TestImages.Solid(1000, 500, new SKColor(60, 60, 60));
        var photo = TestImages.Encode(grey, SKEncodedImageFormat.Jpeg);

        using var annotated = Decode(Annotator.Annotate(photo, [new("car", 2, 0.7f, 400, 100, 800, 400)], maxSide: 200, AnnotatedFormat.Png));

        Assert.Equal((200, 100), (annotated.Width, annotated.Height));
        Assert.Equal(SkiaImageAnnotator.ColourOf(2), annotated.GetPixel(80, 50));
        Assert.Equal(SkiaImageAnnotator.ColourOf(2), annotated.GetPixel(159, 50));
    }

    [Fact]
    public void Jpeg_output_is_a_jpeg_and_an_undecodable_photo_is_refused()
    {
        using var grey = TestImages.Solid(64, 64, new SKColor(90, 90, 90));
        var jpeg = Annotator.Annotate(TestImages.Encode(grey, SKEncodedImageFormat.Png), [], null, AnnotatedFormat.Jpeg);

        Assert.Equal([0xFF, 0xD8], jpeg[..2]);
        Assert.Throws<InvalidDataException>(() => Annotator.Annotate([1, 2, 3, 4], [], null, AnnotatedFormat.Jpeg));
    }
}
