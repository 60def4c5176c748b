using Detector.Modules.Common;
using Detector.Modules.Webhooks.Secrets;

namespace Detector.Modules.Webhooks.CreateWebhookSecret;

/// <summary>A tenant's new signing secret; the ones it had keep signing for the overlap, so receivers switch without losing deliveries.</summary>
internal sealed class CreateWebhookSecretHandler(WebhookSecretStore secrets)
{
    private const int MaxOverlapSeconds = 7 * 24 * 3600;
    private const int DefaultOverlapSeconds = 24 * 3600;

    public async Task<CreatedWebhookSecret> HandleAsync(Guid tenantId, int? overlapSeconds, CancellationToken ct)
    {
        if (secrets.MissingConfiguration is { } missing)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.WebhooksNotConfigured, "Webhooks not configured",
                $"This server has no {missing} (the master key webhook secrets derive from), so it sends no webhooks.");
        }

        if (overlapSeconds is < 0 or > MaxOverlapSeconds)
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Validation failed", $"overlap_seconds must be 0 to {MaxOverlapSeconds}.");
        }

        var overlap = TimeSpan.FromSeconds(overlapSeconds ?? DefaultOverlapSeconds);
        var (info, secret, retiring) = await secrets.CreateAsync(tenantId, overlap, ct);
        DateTime? previous = retiring > 0 ? info.CreatedAt + overlap : null;
        return new CreatedWebhookSecret(info.Id, secret, info.CreatedAt, previous);
    }
}
