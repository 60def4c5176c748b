using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Detector.Modules.Common.Resilience;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.UrlFetch;
using Detector.Modules.Jobs.WebhookSecrets;
using Detector.Modules.Tenancy.Contracts;
using Hangfire;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace Detector.Modules.Jobs.Webhooks;

/// <summary>
/// Delivers the completion webhook of a job: a JSON POST signed with the tenant's own secret(s),
/// <c>Detector-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256(secret, "&lt;t&gt;.&lt;body&gt;")&gt;</c>,
/// one v1 per secret still signing (newest first) while a rotation overlaps. Its links start with
/// Deployment:PublicBaseUrl, never with a request's Host header.
/// Every attempt is recorded; failures are rescheduled with exponential backoff (default 1 min
/// doubling to 1 h, 12 attempts: about 7 hours) until delivered or given up.
/// </summary>
internal sealed partial class WebhookSender : IDisposable
{
    public const string SignatureHeader = "Detector-Signature";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly HttpClient _client;
    private readonly JobStore _store;
    private readonly WebhookStore _webhooks;
    private readonly JobDispatcher _dispatcher;
    private readonly WebhookOptions _options;
    private readonly JobsOptions _jobs;
    private readonly ITenantDirectory _tenants;
    private readonly WebhookSecretStore _secrets;
    private readonly OutboundBreakers _breakers;
    private readonly string _publicBaseUrl;
    private readonly ILogger<WebhookSender> _logger;

    public WebhookSender(
        SafeConnector connector,
        JobStore store,
        WebhookStore webhooks,
        JobDispatcher dispatcher,
        ITenantDirectory tenants,
        WebhookSecretStore secrets,
        OutboundBreakers breakers,
        IOptions<WebhookOptions> options,
        IOptions<JobsOptions> jobs,
        IOptions<Common.DeploymentOptions> deployment,
        ILogger<WebhookSender> logger)
    {
        _secrets = secrets;
        _breakers = breakers;
        _publicBaseUrl = deployment.Value.PublicBaseUrl?.TrimEnd('/') ?? "";
        _client = new HttpClient(connector.CreateHandler(), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        _client.DefaultRequestHeaders.UserAgent.ParseAdd("Detector-Webhooks/1.0");
        _store = store;
        _webhooks = webhooks;
        _dispatcher = dispatcher;
        _options = options.Value;
        _jobs = jobs.Value;
        _tenants = tenants;
        _logger = logger;
    }

    [DisplayName("Webhook · job {0}")]
    [AutomaticRetry(Attempts = 5, DelaysInSeconds = [10, 60, 300, 900, 3600])]
    public async Task DeliverAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var job = await _store.GetForWorkerAsync(jobId, cancellationToken);
        if (job is null || job.WebhookStatus != "pending" || job.CallbackUrl is null)
        {
            return;
        }

        if (await _tenants.FindAsync(job.TenantId, cancellationToken) is not { Disabled: false })
        {
            // A disabled tenant's webhooks wait too; no attempt is spent.
            await _dispatcher.EnqueueWebhookAsync(jobId, TimeSpan.FromSeconds(_jobs.DisabledTenantRecheckSeconds), cancellationToken);
            return;
        }

        using var activity = Common.DetectorTelemetry.Source.StartActivity("job.webhook");
        activity?.SetTag("detector.job_id", jobId);
        var attempt = await _webhooks.NextAttemptAsync(jobId, cancellationToken);
        var body = JsonSerializer.Serialize(BuildPayload(job, _publicBaseUrl), Json);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var started = Stopwatch.GetTimestamp();
        var at = DateTimeOffset.UtcNow;
        int? status = null;
        string? error = null;
        var secrets = await _secrets.SigningSecretsAsync(job.TenantId, cancellationToken);
        try
        {
            if (secrets.Count == 0)
            {
                // Revoked since submission: nothing to sign with, so nothing is sent; a new secret lets a retry go.
                throw new HttpRequestException("not sent: the tenant has no webhook secret (POST /v1/webhook-secrets)");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(_options.TimeoutSeconds));
            using var request = new HttpRequestMessage(HttpMethod.Post, job.CallbackUrl)
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
            };
            request.Headers.TryAddWithoutValidation(SignatureHeader, Sign(secrets, timestamp, body));
            request.Headers.TryAddWithoutValidation("Detector-Delivery-Attempt", attempt.ToString(CultureInfo.InvariantCulture));
            using var response = await _breakers.SendAsync("webhook", request.RequestUri!, c => _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, c), timeout.Token);
            status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                error = $"HTTP {status}";
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException)
        {
            error = $"timed out after {_options.TimeoutSeconds} s";
        }
        catch (HttpRequestException ex)
        {
            error = ex.InnerException is ForbiddenAddressException f ? "refused: " + f.Message : ex.Message;
        }
        catch (BrokenCircuitException)
        {
            error = "not sent: the receiver has been failing (its circuit breaker is open)";
        }

        var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var delivered = error is null;
        var gaveUp = !delivered && attempt >= _options.MaxAttempts;
        await _webhooks.RecordAttemptAsync(jobId, attempt, at, status, error, ms, delivered ? "delivered" : gaveUp ? "failed" : null, cancellationToken);
        JobsMetrics.WebhookDeliveries.WithLabels(delivered ? "delivered" : gaveUp ? "gave_up" : "retry").Inc();
        if (delivered)
        {
            LogDelivered(_logger, jobId, attempt, status ?? 0);
            return;
        }

        if (gaveUp)
        {
            LogGaveUp(_logger, jobId, attempt, error!);
            return;
        }

        var delay = Backoff.Jittered(attempt, _options.InitialDelaySeconds, _options.MaxDelaySeconds);
        LogRetry(_logger, jobId, attempt, error!, delay.TotalSeconds);
        await _dispatcher.EnqueueWebhookAsync(jobId, delay, cancellationToken);
    }

    private static object BuildPayload(JobRow job, string baseUrl)
    {
        var path = $"/v1/jobs/{job.Id}";
        return new
        {
            Type = "job.completed",
            Id = job.Id,
            Status = job.Status,
            Counts = new
            {
                job.Total,
                job.Succeeded,
                job.Failed,
                job.Cancelled,
                Pending = job.Total - job.Succeeded - job.Failed - job.Cancelled,
            },
            CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(job.CreatedAt, DateTimeKind.Utc)),
            FinishedAt = job.FinishedAt is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f, DateTimeKind.Utc)) : (DateTimeOffset?)null,
            StatusUrl = baseUrl + path,
            ResultsUrl = baseUrl + path + "/results",
        };
    }

    /// <summary>
    /// The signature header value. Receivers recompute HMAC-SHA256(secret, t + "." + raw body),
    /// compare it in constant time with each v1 (one per secret still signing), accept if any
    /// matches, and reject t older than a few minutes (replays).
    /// </summary>
    public static string Sign(IReadOnlyList<string> secrets, long timestamp, string body)
    {
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var signed = Encoding.UTF8.GetBytes(t + "." + body);
        var header = new StringBuilder("t=").Append(t);
        foreach (var secret in secrets)
        {
            header.Append(",v1=").Append(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        }

        return header.ToString();
    }

    public void Dispose() => _client.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook of job {JobId} delivered on attempt {Attempt} (HTTP {Status})")]
    private static partial void LogDelivered(ILogger logger, Guid jobId, int attempt, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook of job {JobId} attempt {Attempt} failed ({Error}); next in {DelaySeconds} s")]
    private static partial void LogRetry(ILogger logger, Guid jobId, int attempt, string error, double delaySeconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook of job {JobId} given up after {Attempt} attempts ({Error})")]
    private static partial void LogGaveUp(ILogger logger, Guid jobId, int attempt, string error);
}
