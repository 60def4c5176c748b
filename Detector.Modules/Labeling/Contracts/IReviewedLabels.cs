namespace Detector.Modules.Labeling.Contracts;

/// <summary>One box of a final label set, in the stored image's pixels (x, y the top-left corner), named by the serving model's class name.</summary>
public sealed record ReviewedBox(string Label, double X, double Y, double Width, double Height);

/// <summary>
/// A labeling item whose labels are final: the two labelers agreed, or a reviewer decided.
/// <see cref="ImageSha256"/> names the tenant's stored image (Images' <c>IImageStore</c>), whose
/// bytes a dataset version takes as they are.
/// </summary>
public sealed record ReviewedImage(Guid ItemId, Guid TenantId, string ImageSha256, int Width, int Height, IReadOnlyList<ReviewedBox> Boxes, DateTimeOffset FinalAt);

/// <summary>The labeling queue's output, for the Datasets module to cut versions from.</summary>
public interface IReviewedLabels
{
    /// <summary>Final items in the order they became final, those final after <paramref name="after"/> (all when null), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<ReviewedImage>> ListAsync(DateTimeOffset? after, int limit, CancellationToken cancellationToken);
}
