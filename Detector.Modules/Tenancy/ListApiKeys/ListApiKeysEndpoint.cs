using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Tenancy.ListApiKeys;

/// <summary>GET /v1/admin/tenants/{id}/keys.</summary>
internal static class ListApiKeysEndpoint
{
    public static async Task<Ok<KeyListResponse>> Handle(Guid id, ListApiKeysHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(id, ct));
}
