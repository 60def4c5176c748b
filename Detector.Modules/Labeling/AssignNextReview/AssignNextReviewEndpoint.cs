using System.Security.Claims;
using Detector.Modules.Labeling.Authentication;
using Detector.Modules.Labeling.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Labeling.AssignNextReview;

/// <summary>POST /v1/labeling/reviews/next (reviewers): 200 with the oldest disputed item and both label sets, 204 when there is none. One query, so the slice asks its store directly.</summary>
internal static class AssignNextReviewEndpoint
{
    public static async Task<Results<Ok<ReviewCard>, NoContent>> Handle(ClaimsPrincipal user, ItemQueue queue, CancellationToken ct) =>
        await queue.NextReviewAsync(user.GetLabelerId(), ct) is { } item ? TypedResults.Ok(item) : TypedResults.NoContent();
}
