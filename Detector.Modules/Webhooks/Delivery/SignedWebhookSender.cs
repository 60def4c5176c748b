using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Detector.Modules.Common.Resilience;
using Detector.Modules.Outbound.Contracts;
using Detector.Modules.Webhooks.Contracts;
using Detector.Modules.Webhooks.Secrets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Webhooks.Delivery;

/// <summary>
/// One delivery attempt of a webhook: a JSON POST signed with the tenant's own secret(s)
/// (<see cref="WebhookSignature"/>), sent through the outbound guards (address policy, the tenant's
/// breaker for the host), recorded, and answered with the backoff before the next attempt
/// (default 1 min doubling to 1 h, 12 attempts: about 7 hours) or the end of the delivery.
/// </summary>
internal sealed partial class SignedWebhookSender(
    WebhookAttemptStore attempts,
    WebhookSecretStore secrets,
    IOutboundHttp outbound,
    IOptions<WebhooksOptions> options,
    ILogger<SignedWebhookSender> logger) : IWebhookSender
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public async Task<WebhookAttemptResult> SendAsync(WebhookMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var settings = options.Value;
        var attempt = await attempts.NextAttemptAsync(message.DeliveryId, cancellationToken);
        var body = JsonSerializer.Serialize(message.Payload, Json);
        var at = DateTime.UtcNow;
        var started = Stopwatch.GetTimestamp();
        var (status, error) = await PostAsync(message, body, attempt, settings.TimeoutSeconds, cancellationToken);

        var delivered = error is null;
        var gaveUp = !delivered && attempt >= settings.MaxAttempts;
        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        await attempts.RecordAsync(message.DeliveryId, new WebhookAttempt(attempt, at, status, error, ms), cancellationToken);
        WebhooksMetrics.Deliveries.WithLabels(delivered ? "delivered" : gaveUp ? "gave_up" : "retry").Inc();
        if (delivered)
        {
            LogDelivered(logger, message.DeliveryId, attempt, status ?? 0);
            return new WebhookAttemptResult(attempt, WebhookOutcome.Delivered, TimeSpan.Zero);
        }

        if (gaveUp)
        {
            LogGaveUp(logger, message.DeliveryId, attempt, error!);
            return new WebhookAttemptResult(attempt, WebhookOutcome.GaveUp, TimeSpan.Zero);
        }

        var delay = Backoff.Jittered(attempt, settings.InitialDelaySeconds, settings.MaxDelaySeconds);
        LogRetry(logger, message.DeliveryId, attempt, error!, delay.TotalSeconds);
        return new WebhookAttemptResult(attempt, WebhookOutcome.Retry, delay);
    }

    /// <summary>The POST itself: the receiver's status, and what went wrong (null: a 2xx).</summary>
    private async Task<(int? Status, string? Error)> PostAsync(WebhookMessage message, string body, int attempt, double timeoutSeconds, CancellationToken cancellationToken)
    {
        var signing = await secrets.SigningSecretsAsync(message.TenantId, cancellationToken);
        try
        {
            if (signing.Count == 0)
            {
                // Revoked since submission: nothing to sign with, so nothing is sent; a new secret lets a retry go.
                throw new HttpRequestException("not sent: the tenant has no webhook secret (POST /v1/webhook-secrets)");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(timeoutSeconds));
            using var request = new HttpRequestMessage(HttpMethod.Post, message.Url)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.UserAgent.ParseAdd("Detector-Webhooks/1.0");
            request.Headers.TryAddWithoutValidation(WebhookSignature.Header, WebhookSignature.Sign(signing, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body));
            request.Headers.TryAddWithoutValidation("Detector-Delivery-Attempt", attempt.ToString(CultureInfo.InvariantCulture));
            using var response = await outbound.SendAsync("webhook", message.TenantId, request, timeout.Token);
            var status = (int)response.StatusCode;
            return (status, response.IsSuccessStatusCode ? null : $"HTTP {status}");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            return (null, $"timed out after {timeoutSeconds} s");
        }
        catch (OutboundRefusedException ex)
        {
            return (null, ex.Reason == OutboundRefusal.ForbiddenAddress ? "refused: " + ex.Message : ex.Message);
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook {DeliveryId} delivered on attempt {Attempt} (HTTP {Status})")]
    private static partial void LogDelivered(ILogger logger, Guid deliveryId, int attempt, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {DeliveryId} attempt {Attempt} failed ({Error}); next in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Guid deliveryId, int attempt, string error, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {DeliveryId} given up after {Attempt} attempts ({Error})")]
    private static partial void LogGaveUp(ILogger logger, Guid deliveryId, int attempt, string error);
}
