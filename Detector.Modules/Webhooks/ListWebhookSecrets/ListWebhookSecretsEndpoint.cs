using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Webhooks.Secrets;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Webhooks.ListWebhookSecrets;

internal sealed record WebhookSecretList(IReadOnlyList<WebhookSecretInfo> Items);

/// <summary>The tenant's secrets that still sign: ids and times, never the secrets. One query, so the store is its handler.</summary>
internal static class ListWebhookSecretsEndpoint
{
    public static async Task<Ok<WebhookSecretList>> Handle(HttpContext http, WebhookSecretStore secrets, CancellationToken ct) =>
        TypedResults.Ok(new WebhookSecretList(await secrets.ListActiveAsync(http.User.GetTenantId(), ct)));
}
