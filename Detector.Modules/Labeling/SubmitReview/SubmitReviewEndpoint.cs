using System.Security.Claims;
using Detector.Modules.Labeling.Authentication;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Labeling.SubmitLabels;

namespace Detector.Modules.Labeling.SubmitReview;

/// <summary>POST /v1/labeling/items/{id}/review (reviewers; validated by <see cref="LabelSetValidator"/>): the reviewer's boxes become the item's final ones.</summary>
internal static class SubmitReviewEndpoint
{
    public static Task<ItemState> Handle(Guid id, LabelSetRequest request, ClaimsPrincipal user, SubmitReviewHandler handler, CancellationToken ct) =>
        handler.HandleAsync(user.GetLabelerId(), id, request.Boxes!, ct);
}
