using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Webhooks.Secrets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Webhooks.RevokeWebhookSecret;

/// <summary>Stops a secret signing at once. One statement, so the store is its handler.</summary>
internal static class RevokeWebhookSecretEndpoint
{
    public static async Task<NoContent> Handle(Guid id, HttpContext http, WebhookSecretStore secrets, CancellationToken ct) =>
        await secrets.RevokeAsync(http.User.GetTenantId(), id, ct)
            ? TypedResults.NoContent()
            : throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Not found", "No active webhook secret with this id.");
}
