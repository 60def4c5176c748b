using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Labeling.Storage;

namespace Detector.Modules.Labeling.GetItemImage;

/// <summary>The item's image through Images' store, for the item's tenant; 404 for an item the caller may not see or whose image is gone.</summary>
internal sealed class GetItemImageHandler(ItemQueue queue, IImageStore images, TimeProvider time)
{
    public async Task<byte[]> HandleAsync(Guid labelerId, bool isReviewer, Guid itemId, CancellationToken ct)
    {
        var item = await queue.FindVisibleAsync(labelerId, itemId, isReviewer, time.GetUtcNow(), ct);
        return item is not null && await images.GetAsync(item.TenantId, item.ImageSha256, ct) is { } bytes
            ? bytes
            : throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Item not found", $"No item {itemId} for this labeler.");
    }
}

/// <summary>The content type of a stored photo from its first bytes (the store keeps bytes, not types).</summary>
internal static class ImageType
{
    public static string Of(ReadOnlySpan<byte> b) =>
        b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]) ? "image/jpeg"
        : b.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47]) ? "image/png"
        : b.Length > 12 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8) ? "image/webp"
        : "application/octet-stream";
}
