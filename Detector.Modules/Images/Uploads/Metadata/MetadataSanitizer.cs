using Detector.Modules.Images.Contracts;

namespace Detector.Modules.Images.Uploads.Metadata;

/// <summary>The stripper behind <see cref="IImageSanitizer"/> and the upload reader, counted in metrics and traces.</summary>
internal sealed class MetadataSanitizer : IImageSanitizer
{
    public int StripMetadata(Span<byte> image) => StripCounted(image);

    public static int StripCounted(Span<byte> image)
    {
        var stripped = MetadataStripper.Strip(image);
        if (stripped < image.Length)
        {
            ImagesMetrics.MetadataBytesRemoved.Inc(image.Length - stripped);
            System.Diagnostics.Activity.Current?.SetTag("detector.metadata_bytes_removed", image.Length - stripped);
        }

        return stripped;
    }
}
