using System.Net;
using Refit;

namespace Detector.Client;

/// <summary>
/// Runs one logical call, attempt after attempt, while the answer is a refusal a retry can get
/// past: 429 (not <c>quota_exceeded</c>), 502/503/504 (not <c>deadline_exceeded</c>), 409
/// <c>idempotency_key_in_use</c>, or no answer at all (a connection dropped, an attempt timed out).
/// It waits what Retry-After asks (seconds or a date), else a jittered exponential backoff; it
/// never begins a wait that would end past the call's deadline, and throws the last refusal then.
/// A POST's attempts all carry the one Idempotency-Key its caller made, so a retry after a lost
/// answer replays the first answer instead of detecting twice.
/// </summary>
internal sealed class RetryLoop(DetectorClientOptions options)
{
    public async Task<TResponse> RunAsync<TResponse>(Func<CancellationToken, Task<TResponse>> attempt, CancellationToken cancellationToken)
        where TResponse : IApiResponse
    {
        var time = options.TimeProvider;
        var deadline = time.GetUtcNow() + options.Deadline;
        for (var number = 1; ; number++)
        {
            Exception failure;
            TimeSpan? wait;
            var response = await attempt(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessful)
            {
                return response;
            }

            using (response)
            {
                if (response.HasRequestError(out var unsent))
                {
                    // No answer: the connection failed or HttpClient.Timeout ended the attempt.
                    cancellationToken.ThrowIfCancellationRequested();
                    (failure, wait) = (unsent.InnerException ?? unsent, Backoff(number));
                }
                else if (response.IsSuccessStatusCode || response.StatusCode is not { } status)
                {
                    throw (Exception?)response.Error ?? new InvalidOperationException("The response was neither a success nor an error."); // a 2xx body that could not be read: a retry reads the same
                }
                else
                {
                    var body = response.HasResponseError(out var refused) ? refused.Content : null;
                    var problem = ProblemMapper.Read(status, body, response.Headers?.RetryAfter, time.GetUtcNow());
                    failure = ProblemMapper.ToException(problem);
                    wait = Retryable(problem) ? problem.RetryAfter ?? Backoff(number) : null;
                }
            }

            if (wait is not { } delay || number >= options.MaxAttempts || time.GetUtcNow() + delay > deadline)
            {
                throw failure;
            }

            await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Whether a retry of the same request can get a different answer.</summary>
    internal static bool Retryable(ProblemInfo problem) => problem.Status switch
    {
        HttpStatusCode.TooManyRequests => problem.Code != ProblemCodes.QuotaExceeded,
        HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable => true,
        HttpStatusCode.GatewayTimeout => problem.Code != ProblemCodes.DeadlineExceeded,
        HttpStatusCode.Conflict => problem.Code == ProblemCodes.IdempotencyKeyInUse,
        _ => false,
    };

    /// <summary>BaseDelay doubled per attempt up to MaxDelay, then a uniform draw in its upper half, so clients refused together do not return together.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var ceiling = Math.Min(options.MaxDelay.TotalMilliseconds, options.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt - 1, 30)));
#pragma warning disable CA5394 // jitter, not security
        return TimeSpan.FromMilliseconds(ceiling * (0.5 + (Random.Shared.NextDouble() * 0.5)));
#pragma warning restore CA5394
    }
}
