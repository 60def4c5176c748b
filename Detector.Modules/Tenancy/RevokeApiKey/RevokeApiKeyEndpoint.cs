using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.RevokeApiKey;

/// <summary>DELETE /v1/admin/tenants/{id}/keys/{keyId}.</summary>
internal static class RevokeApiKeyEndpoint
{
    public static async Task<NoContent> Handle(Guid id, Guid keyId, RevokeApiKeyHandler handler, CancellationToken ct)
    {
        await handler.HandleAsync(id, keyId, ct);
        return TypedResults.NoContent();
    }
}
