using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Preprocessing.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Results.GetResult;
using Microsoft.Extensions.Primitives;

namespace Detector.Modules.Results.GetAnnotatedResult;

/// <summary>The annotated picture, or 304 (<see cref="Image"/> null) when the client's copy is current.</summary>
internal sealed record AnnotatedImage(string ETag, byte[]? Image);

/// <summary>
/// A result of the tenant drawn over its stored photo. The entity tag follows the result's (it
/// changes exactly when the result's answer would) with the format and size, and is checked before
/// the photo is read or drawn, so a client polling with If-None-Match costs one result read.
/// </summary>
internal sealed class GetAnnotatedResultHandler(IResultStore results, IImageStore images, IImageAnnotator annotator)
{
    public async Task<AnnotatedImage> HandleAsync(Guid tenantId, Guid? browserKey, Guid resultId, AnnotatedFormat format, int? maxSide, StringValues ifNoneMatch, CancellationToken ct)
    {
        using var activity = DetectorTelemetry.Source.StartActivity("results.annotate");
        var result = await results.GetAsync(tenantId, resultId, browserKey, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Result not found", $"No result {resultId}.");
        switch (result.Image.Storage)
        {
            case ImageStorage.PendingState:
                throw new DomainException(OutcomeKind.Conflict, ErrorCodes.ImagePending, "Image not stored yet", "The result's image is still being stored; ask again in a moment.");
            case ImageStorage.NotStoredState:
                throw NotStored(result.Image.NotStoredReason == ImageStorage.NotKeptByPlan.Reason
                    ? "The tenant's plan keeps no images, so there is nothing to draw on."
                    : $"The result's image was not stored ({result.Image.NotStoredReason}).");
        }

        var etag = ETagOf(result, format, maxSide);
        if (ResultETag.Matches(ifNoneMatch, etag))
        {
            return new AnnotatedImage(etag, null);
        }

        var photo = await images.GetAsync(tenantId, result.Image.Sha256, ct)
            ?? throw NotStored("The result's image has been deleted.");
        var boxes = result.Detections.Select(d => new AnnotationBox(d.Label, d.ClassId, d.Score, d.Box[0], d.Box[1], d.Box[2], d.Box[3])).ToList();
        var annotated = annotator.Annotate(photo, boxes, maxSide, format);
        activity?.SetTag("detector.annotated_bytes", annotated.Length);
        return new AnnotatedImage(etag, annotated);
    }

    /// <summary>The result's own tag (already a digest of its answer) with the format and size: no second hash.</summary>
    private static string ETagOf(ResultDocument result, AnnotatedFormat format, int? maxSide) =>
        $"{ResultETag.Of(result)[..^1]}-{(format == AnnotatedFormat.Png ? "png" : "jpg")}-{maxSide?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "full"}\"";

    private static DomainException NotStored(string detail) =>
        new(OutcomeKind.NotFound, ErrorCodes.ImageNotStored, "Image not stored", detail);
}
