using System.Globalization;
using Detector.Modules.Common;
using Detector.Modules.Detection.Contracts;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Detection.DetectObjects;

/// <summary>POST /v1/detect: binds the request (options, deadline, Prefer), and answers the outcome with its headers.</summary>
internal static class DetectObjectsEndpoint
{
    public static async Task<Results<Ok<ResultDocument>, Accepted<JobAccepted>, ProblemResult>> Handle(
        [AsParameters] DetectObjectsRequest query,
        HttpContext http,
        DetectObjectsHandler handler,
        IOptions<DetectApiOptions> options,
        CancellationToken ct)
    {
        DateTimeOffset? deadline = query.DeadlineMs is { } ms ? DateTimeOffset.UtcNow.AddMilliseconds(ms) : null;
        // A browser key may not make jobs (ADR 0027), so its Prefer: respond-async is not applied.
        var prefersAsync = PrefersAsync(http.Request) && !http.User.IsBrowserKey();
        var outcome = await handler.HandleAsync(new DetectObjectsCommand(http.User.GetTenantId(), query, prefersAsync, deadline, http.Request) { KeyId = http.User.TryGetKeyId() }, ct);
        switch (outcome)
        {
            case DetectObjectsOutcome.Refused { Problem: var refused }:
                // Held before it is sent (Detection:RefusalHoldMs), so a client that resends at once asks a few times a second, not thousands.
                if (refused.Kind is OutcomeKind.Overloaded or OutcomeKind.Unavailable && options.Value.RefusalHoldMs > 0)
                {
                    await Task.Delay(options.Value.RefusalHoldMs, ct);
                }

                return refused.ToResult();
            case DetectObjectsOutcome.Deferred { Job: var accepted }:
                http.Response.Headers["Preference-Applied"] = "respond-async";
                http.Response.Headers["X-Degradation"] = "async_fallback";
                http.SetIdempotencySubject(accepted.Id);
                return TypedResults.Accepted(accepted.StatusUrl, accepted);
            default:
                var document = ((DetectObjectsOutcome.Detected)outcome).Document;
                http.Response.Headers["X-Queue-Wait-Ms"] = document.Timings.QueueMs.ToString("F1", CultureInfo.InvariantCulture);
                http.Response.Headers["X-Batch-Size"] = document.Timings.BatchSize.ToString(CultureInfo.InvariantCulture);
                if (document.Degradation is { } degraded)
                {
                    // Announced in the header too, so a client can tell without parsing the body.
                    http.Response.Headers["X-Degradation"] = degraded.Rung;
                }

                // A replay of this answer names the result: deleting the result forgets the replay.
                http.SetIdempotencySubject(document.Id);
                return TypedResults.Ok(document);
        }
    }

    private static bool PrefersAsync(HttpRequest request)
    {
        foreach (var value in request.Headers["Prefer"])
        {
            foreach (var preference in (value ?? "").Split(','))
            {
                if (preference.Split(';')[0].Trim().Equals("respond-async", StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}
