using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.RemoveModelAlias;

/// <summary>DELETE /v1/admin/models/{name}/aliases/{alias}[?reason=...].</summary>
internal static class RemoveModelAliasEndpoint
{
    public static async Task<NoContent> Handle(string name, string alias, string? reason, ClaimsPrincipal user, RemoveModelAliasHandler handler, CancellationToken ct)
    {
        await handler.HandleAsync(name, alias, reason, user.AdminActor(), ct);
        return TypedResults.NoContent();
    }
}
