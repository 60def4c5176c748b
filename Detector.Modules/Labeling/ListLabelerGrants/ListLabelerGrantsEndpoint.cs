using System.Security.Claims;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Labeling.ListLabelerGrants;

/// <summary>The labelers the tenant granted.</summary>
internal sealed record GrantList(IReadOnlyList<GrantView> Items);

/// <summary>GET /v1/labeling/grants: one query, so the slice asks its store directly.</summary>
internal static class ListLabelerGrantsEndpoint
{
    public static async Task<GrantList> Handle(ClaimsPrincipal user, GrantStore grants, CancellationToken ct) => new(await grants.ListAsync(user.GetTenantId(), ct));
}
