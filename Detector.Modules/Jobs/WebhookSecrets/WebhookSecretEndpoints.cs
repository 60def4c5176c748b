using System.ComponentModel;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.WebhookSecrets;

/// <summary>The secret as created: the only time it is shown.</summary>
internal sealed record CreatedWebhookSecret(Guid Id, string Secret, DateTime CreatedAt, DateTime? PreviousRetireAt);

internal sealed record WebhookSecretList(IReadOnlyList<WebhookSecretInfo> Items);

/// <summary>A tenant manages the secrets its webhooks are signed with.</summary>
internal static class WebhookSecretEndpoints
{
    private const int MaxOverlapSeconds = 7 * 24 * 3600;

    public static async Task<Created<CreatedWebhookSecret>> Create(
        HttpContext http,
        WebhookSecretStore secrets,
        IOptions<WebhookOptions> webhooks,
        [FromQuery(Name = "overlap_seconds"), Description("Seconds the tenant's current secrets keep signing (0 to 604800, default 86400).")] int? overlapSeconds,
        CancellationToken ct)
    {
        if (string.IsNullOrEmpty(webhooks.Value.SigningSecret))
        {
            throw new ProblemException(400, ErrorCodes.WebhooksNotConfigured, "Webhooks not configured",
                "This server has no Jobs:Webhooks:SigningSecret (the master key webhook secrets derive from), so it sends no webhooks.");
        }

        if (overlapSeconds is < 0 or > MaxOverlapSeconds)
        {
            throw new ProblemException(400, ErrorCodes.ValidationFailed, "Validation failed", $"overlap_seconds must be 0 to {MaxOverlapSeconds}.");
        }

        var overlap = TimeSpan.FromSeconds(overlapSeconds ?? 86_400);
        var (info, secret, retiring) = await secrets.CreateAsync(http.User.GetTenantId(), overlap, ct);
        DateTime? previous = retiring > 0 ? info.CreatedAt + overlap : null;
        return TypedResults.Created($"/v1/webhook-secrets/{info.Id}", new CreatedWebhookSecret(info.Id, secret, info.CreatedAt, previous));
    }

    public static async Task<Ok<WebhookSecretList>> List(HttpContext http, WebhookSecretStore secrets, CancellationToken ct) =>
        TypedResults.Ok(new WebhookSecretList(await secrets.ListActiveAsync(http.User.GetTenantId(), ct)));

    public static async Task<NoContent> Revoke(Guid id, HttpContext http, WebhookSecretStore secrets, CancellationToken ct) =>
        await secrets.RevokeAsync(http.User.GetTenantId(), id, ct)
            ? TypedResults.NoContent()
            : throw new ProblemException(404, ErrorCodes.NotFound, "Not found", "No active webhook secret with this id.");
}
