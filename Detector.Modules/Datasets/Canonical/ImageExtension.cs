namespace Detector.Modules.Datasets.Canonical;

/// <summary>The file extension of an image's bytes (its export file is <c>&lt;sha256&gt;.&lt;ext&gt;</c>), from its signature.</summary>
internal static class ImageExtension
{
    public static string Of(ReadOnlySpan<byte> image) => image switch
    {
        [0xFF, 0xD8, 0xFF, ..] => "jpg",
        [0x89, 0x50, 0x4E, 0x47, ..] => "png",
        [0x52, 0x49, 0x46, 0x46, _, _, _, _, 0x57, 0x45, 0x42, 0x50, ..] => "webp",
        [0x47, 0x49, 0x46, 0x38, ..] => "gif",
        [0x42, 0x4D, ..] => "bmp",
        _ => "bin",
    };
}
