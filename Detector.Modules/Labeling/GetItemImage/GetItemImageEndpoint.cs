using System.Security.Claims;
using Detector.Modules.Labeling.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Labeling.GetItemImage;

/// <summary>GET /v1/labeling/items/{id}/image: the stored photo, to its assigned labeler or a reviewer the tenant granted; anyone else gets 404.</summary>
internal static class GetItemImageEndpoint
{
    public static async Task<FileContentHttpResult> Handle(Guid id, ClaimsPrincipal user, HttpContext http, GetItemImageHandler handler, CancellationToken ct)
    {
        var bytes = await handler.HandleAsync(user.GetLabelerId(), user.IsReviewer(), id, ct);
        http.Response.Headers.CacheControl = "private, no-store";
        return TypedResults.File(bytes, ImageType.Of(bytes));
    }
}
