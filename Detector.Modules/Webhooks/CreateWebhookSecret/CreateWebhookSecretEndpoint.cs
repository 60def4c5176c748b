using System.ComponentModel;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Webhooks.CreateWebhookSecret;

/// <summary>The secret as created: the only time it is shown.</summary>
internal sealed record CreatedWebhookSecret(Guid Id, string Secret, DateTime CreatedAt, DateTime? PreviousRetireAt);

internal static class CreateWebhookSecretEndpoint
{
    public static async Task<Created<CreatedWebhookSecret>> Handle(
        HttpContext http,
        CreateWebhookSecretHandler handler,
        [FromQuery(Name = "overlap_seconds"), Description("Seconds the tenant's current secrets keep signing (0 to 604800, default 86400).")] int? overlapSeconds,
        CancellationToken ct)
    {
        var created = await handler.HandleAsync(http.User.GetTenantId(), overlapSeconds, ct);
        return TypedResults.Created($"/v1/webhook-secrets/{created.Id}", created);
    }
}
