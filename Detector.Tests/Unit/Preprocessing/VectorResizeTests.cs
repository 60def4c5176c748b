using Detector.Modules.Preprocessing;

namespace Detector.Tests.Unit.Preprocessing;

public sealed class VectorResizeTests
{
    public static TheoryData<int, int, int> Cases()
    {
        // Downscales (wide filters), upscales, odd sizes whose rows are not a multiple of the
        // vector width, and every EXIF orientation.
        var data = new TheoryData<int, int, int>();
        (int W, int H)[] sizes = [(640, 480), (333, 517), (1, 1), (7, 3), (2000, 90), (45, 1500), (416, 416), (97, 61)];
        for (var i = 0; i < sizes.Length; i++)
        {
            for (var orientation = 1; orientation <= 8; orientation++)
            {
                data.Add(sizes[i].W, sizes[i].H, orientation);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Vector_passes_equal_the_scalar_passes_bit_for_bit(int width, int height, int orientation)
    {
        var random = new Random(HashCode.Combine(width, height, orientation));
        // Row padding, like a decoder's stride, so the passes must honour rowBytes.
        var rowBytes = (width * 4) + 12;
        var pixels = new byte[rowBytes * height];
        random.NextBytes(pixels);

        foreach (var spec in new[] { TestImages.Yolox, TestImages.PicoDet320, TestImages.NanoDet })
        {
            var (ow, oh) = orientation >= 5 ? (height, width) : (width, height);
            var geometry = LetterboxGeometry.For(spec, ow, oh);
            var scalar = new float[3 * spec.Width * spec.Height];
            var vector = new float[scalar.Length];

            TensorWriter.Write(pixels, width, height, rowBytes, orientation, spec, geometry, scalar, vectorize: false);
            TensorWriter.Write(pixels, width, height, rowBytes, orientation, spec, geometry, vector, vectorize: true);

            Assert.Equal(scalar, vector);
        }
    }
}
