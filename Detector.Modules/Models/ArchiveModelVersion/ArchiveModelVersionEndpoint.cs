using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.ArchiveModelVersion;

/// <summary>POST /v1/admin/models/{name}/versions/{version}/archive.</summary>
internal static class ArchiveModelVersionEndpoint
{
    public static async Task<NoContent> Handle(string name, string version, ClaimsPrincipal user, ArchiveModelVersionHandler handler, CancellationToken ct)
    {
        await handler.HandleAsync(name, version, user.AdminActor(), ct);
        return TypedResults.NoContent();
    }
}
