using System.Net;

namespace Detector.Client;

/// <summary>
/// A problem answer of the service (RFC 7807 <c>application/problem+json</c>): its stable
/// <see cref="Code"/>, the HTTP <see cref="Status"/>, the human <see cref="Detail"/>, and the
/// <see cref="RetryAfter"/> it asked for. Thrown once the client's retries are spent or the
/// problem is not one a retry can get past. Branch on the subclasses or on <see cref="Code"/>.
/// </summary>
public class DetectorProblemException : Exception
{
    public DetectorProblemException(ProblemInfo problem)
        : base(Describe(problem))
    {
        ArgumentNullException.ThrowIfNull(problem);
        Code = problem.Code;
        Status = problem.Status;
        Title = problem.Title;
        Detail = problem.Detail;
        RetryAfter = problem.RetryAfter;
        TraceId = problem.TraceId;
        Extensions = problem.Extensions;
    }

    public DetectorProblemException()
        : this(new ProblemInfo("unknown", HttpStatusCode.InternalServerError))
    {
    }

    public DetectorProblemException(string message)
        : this(new ProblemInfo("unknown", HttpStatusCode.InternalServerError, Detail: message))
    {
    }

    public DetectorProblemException(string message, Exception innerException)
        : base(message, innerException)
    {
        Code = "unknown";
        Status = HttpStatusCode.InternalServerError;
        Extensions = new Dictionary<string, string>();
    }

    /// <summary>The problem's stable code (<see cref="ProblemCodes"/>); <c>http_&lt;status&gt;</c> when the body was not a problem of the service (a proxy's page).</summary>
    public string Code { get; }

    public HttpStatusCode Status { get; }

    public string? Title { get; }

    public string? Detail { get; }

    /// <summary>How long the service asked the caller to wait (Retry-After, in seconds or as a date), when it did.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>The service's trace id of the refused request, for a support ticket.</summary>
    public string? TraceId { get; }

    /// <summary>The problem's other members (<c>reset_at</c>, <c>period</c>, ...) as raw JSON text.</summary>
    public IReadOnlyDictionary<string, string> Extensions { get; }

    private static string Describe(ProblemInfo p) =>
        $"{(int)p.Status} {p.Code}: {p.Detail ?? p.Title ?? "no detail"}";
}

/// <summary>What a problem answer said; <see cref="ProblemMapper"/> reads it from the response.</summary>
public sealed record ProblemInfo(
    string Code,
    HttpStatusCode Status,
    string? Title = null,
    string? Detail = null,
    TimeSpan? RetryAfter = null,
    string? TraceId = null)
{
    public IReadOnlyDictionary<string, string> Extensions { get; init; } = new Dictionary<string, string>();
}

/// <summary>404: no such result or job for this tenant (<c>not_found</c>, <c>job_not_found</c>, ...).</summary>
public sealed class NotFoundException(ProblemInfo problem) : DetectorProblemException(problem);

/// <summary>400 <c>validation_failed</c> and the other refusals of a malformed request; fix the request, do not retry.</summary>
public sealed class ValidationFailedException(ProblemInfo problem) : DetectorProblemException(problem);

/// <summary>The photo itself was refused (413, 415, 422: too large, unsupported, corrupt, too many pixels); retrying it cannot help.</summary>
public sealed class InvalidImageException(ProblemInfo problem) : DetectorProblemException(problem);

/// <summary>401 or 403: the key is missing, unknown, revoked, or not allowed this.</summary>
public sealed class AuthorizationException(ProblemInfo problem) : DetectorProblemException(problem);

/// <summary>429 <c>rate_limited</c> or <c>concurrency_limited</c>: the tenant's rate or in-flight limit; <see cref="DetectorProblemException.RetryAfter"/> says when.</summary>
public sealed class RateLimitedException(ProblemInfo problem) : DetectorProblemException(problem);

/// <summary>429 <c>quota_exceeded</c>: the plan's daily or monthly images are used up; not retried (the reset can be hours away).</summary>
public sealed class QuotaExceededException(ProblemInfo problem) : DetectorProblemException(problem)
{
    /// <summary>When the quota resets, as the problem's <c>reset_at</c> says.</summary>
    public DateTimeOffset? ResetAt =>
        Extensions.TryGetValue("reset_at", out var raw) && DateTimeOffset.TryParse(raw.Trim('"'), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var at) ? at : null;
}

/// <summary>503: the service could not take the request now (<c>overloaded</c>, <c>model_not_ready</c>, <c>database_unavailable</c>, ...).</summary>
public class ServiceUnavailableException(ProblemInfo problem) : DetectorProblemException(problem);

/// <summary>503 <c>overloaded</c>: the model's queue is full or the request's budget cannot be met.</summary>
public sealed class OverloadedException(ProblemInfo problem) : ServiceUnavailableException(problem);
