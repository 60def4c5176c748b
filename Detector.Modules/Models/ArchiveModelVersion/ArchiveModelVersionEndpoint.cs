using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.ArchiveModelVersion;

/// <summary>POST /v1/admin/models/{name}/versions/{version}/archive.</summary>
internal static class ArchiveModelVersionEndpoint
{
    public static async Task<NoContent> Handle(string name, string version, ClaimsPrincipal user, ArchiveModelVersionHandler handler, CancellationToken ct)
    {
        await handler.HandleAsync(name, version, user.Identity?.Name ?? "admin", ct);
        return TypedResults.NoContent();
    }
}
