namespace Detector.Modules.Webhooks.Contracts;

/// <summary>
/// One webhook to deliver: <paramref name="DeliveryId"/> names the delivery (its attempts are
/// recorded under it; for a job's completion webhook, the job's id), <paramref name="Payload"/> is
/// serialized as the JSON body (snake_case), signed with the tenant's secrets.
/// </summary>
public sealed record WebhookMessage(Guid DeliveryId, Guid TenantId, string Url, object Payload);

/// <summary>What one delivery attempt came to.</summary>
public enum WebhookOutcome
{
    /// <summary>The receiver answered 2xx.</summary>
    Delivered,

    /// <summary>It failed; try again after <see cref="WebhookAttemptResult.RetryAfter"/>.</summary>
    Retry,

    /// <summary>It failed and was the last attempt the policy allows.</summary>
    GaveUp,
}

/// <summary>The attempt made (numbered from 1 per delivery) and its outcome; <see cref="RetryAfter"/> is the backoff when the outcome is <see cref="WebhookOutcome.Retry"/>.</summary>
public sealed record WebhookAttemptResult(int Attempt, WebhookOutcome Outcome, TimeSpan RetryAfter);

/// <summary>One recorded attempt, as a delivery's history shows it.</summary>
public sealed record WebhookAttempt(int Attempt, DateTime AttemptedAt, int? StatusCode, string? Error, double DurationMs);

/// <summary>
/// Sends a signed webhook once: the Webhooks module signs it with the tenant's secrets, sends it
/// through the outbound guards, records the attempt and says whether (and when) to try again. It
/// schedules nothing: the caller, which owns the delivery's state and its scheduler, does.
/// </summary>
public interface IWebhookSender
{
    Task<WebhookAttemptResult> SendAsync(WebhookMessage message, CancellationToken cancellationToken);
}

/// <summary>The attempts recorded for deliveries.</summary>
public interface IWebhookAttempts
{
    /// <summary>Every attempt of the delivery, in order.</summary>
    Task<IReadOnlyList<WebhookAttempt>> ListAsync(Guid deliveryId, CancellationToken cancellationToken);

    /// <summary>How many attempts the deliveries have recorded in all (for an erase's receipt).</summary>
    Task<long> CountAsync(IReadOnlyCollection<Guid> deliveryIds, CancellationToken cancellationToken);
}

/// <summary>Whether a tenant can be sent webhooks: the server has the master key, and the tenant a secret that signs.</summary>
public interface IWebhookSecrets
{
    /// <summary>The configuration key that is missing for webhooks to work on this server; null when they do.</summary>
    string? MissingConfiguration { get; }

    /// <summary>Whether the tenant has a secret that signs now (asking for callbacks needs one).</summary>
    Task<bool> HasActiveAsync(Guid tenantId, CancellationToken cancellationToken);
}

/// <summary>A tenant's webhook data as a whole, for erasure (the Compliance module).</summary>
public interface ITenantWebhookData
{
    /// <summary>Removes every webhook secret of the tenant; returns how many.</summary>
    Task<long> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken);

    /// <summary>Every tenant with a webhook secret here.</summary>
    Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken);
}
