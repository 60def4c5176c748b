using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Labeling.GrantLabeler;

/// <summary>PUT /v1/labeling/grants/{labelerId}: the calling tenant lets the labeler label its stored images (idempotent).</summary>
internal static class GrantLabelerEndpoint
{
    public static async Task<NoContent> Handle(Guid labelerId, ClaimsPrincipal user, GrantLabelerHandler handler, CancellationToken ct)
    {
        await handler.HandleAsync(user.GetTenantId(), labelerId, ct);
        return TypedResults.NoContent();
    }
}
