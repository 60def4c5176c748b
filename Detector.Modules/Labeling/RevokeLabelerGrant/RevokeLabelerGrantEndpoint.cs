using System.Security.Claims;
using Detector.Modules.Common;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Labeling.RevokeLabelerGrant;

/// <summary>DELETE /v1/labeling/grants/{labelerId}: the labeler no longer sees the tenant's items (its assignments on them go too). One query, so the slice asks its store directly.</summary>
internal static class RevokeLabelerGrantEndpoint
{
    public static async Task<NoContent> Handle(Guid labelerId, ClaimsPrincipal user, GrantStore grants, CancellationToken ct) =>
        await grants.RevokeAsync(user.GetTenantId(), labelerId, ct)
            ? TypedResults.NoContent()
            : throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Grant not found", $"No grant to labeler {labelerId}.");
}
