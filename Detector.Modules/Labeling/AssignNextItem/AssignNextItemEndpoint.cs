using System.Security.Claims;
using Detector.Modules.Labeling.Authentication;
using Detector.Modules.Labeling.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Labeling.AssignNextItem;

/// <summary>POST /v1/labeling/next: 200 with the item assigned to the calling labeler, 204 when there is none for it.</summary>
internal static class AssignNextItemEndpoint
{
    public static async Task<Results<Ok<ItemCard>, NoContent>> Handle(ClaimsPrincipal user, AssignNextItemHandler handler, CancellationToken ct) =>
        await handler.HandleAsync(user.GetLabelerId(), ct) is { } item ? TypedResults.Ok(item) : TypedResults.NoContent();
}
