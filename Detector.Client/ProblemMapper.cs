using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Detector.Client;

/// <summary>Turns a refused answer into the typed exception for its code, and reads its Retry-After.</summary>
public static class ProblemMapper
{
    /// <summary>The exception for a problem: by its code first, then by its status.</summary>
    public static DetectorProblemException ToException(ProblemInfo problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return problem.Code switch
        {
            ProblemCodes.RateLimited or ProblemCodes.ConcurrencyLimited => new RateLimitedException(problem),
            ProblemCodes.QuotaExceeded => new QuotaExceededException(problem),
            ProblemCodes.Overloaded => new OverloadedException(problem),
            ProblemCodes.ValidationFailed => new ValidationFailedException(problem),
            ProblemCodes.CorruptImage or ProblemCodes.UnsupportedImageFormat or ProblemCodes.ImageTooManyPixels
                or ProblemCodes.ImageTooComplex or ProblemCodes.PayloadTooLarge => new InvalidImageException(problem),
            _ => problem.Status switch
            {
                HttpStatusCode.NotFound => new NotFoundException(problem),
                HttpStatusCode.BadRequest => new ValidationFailedException(problem),
                HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new AuthorizationException(problem),
                HttpStatusCode.ServiceUnavailable => new ServiceUnavailableException(problem),
                _ => new DetectorProblemException(problem),
            },
        };
    }

    /// <summary>
    /// Reads a problem body. A body that is not a problem of the service (a proxy's HTML page,
    /// nothing at all) still gives a problem: code <c>http_&lt;status&gt;</c>, the body's start as detail.
    /// </summary>
    public static ProblemInfo Read(HttpStatusCode status, string? body, RetryConditionHeaderValue? retryAfter, DateTimeOffset now)
    {
        var wait = RetryAfterDelay(retryAfter, now);
        var fallback = new ProblemInfo("http_" + ((int)status).ToString(CultureInfo.InvariantCulture), status, Detail: Shorten(body), RetryAfter: wait);
        if (string.IsNullOrWhiteSpace(body))
        {
            return fallback;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("code", out var code) || code.ValueKind != JsonValueKind.String)
            {
                return fallback;
            }

            var extensions = new Dictionary<string, string>();
            foreach (var member in root.EnumerateObject())
            {
                if (member.Name is not ("code" or "type" or "title" or "status" or "detail" or "instance" or "trace_id"))
                {
                    extensions[member.Name] = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString()! : member.Value.GetRawText();
                }
            }

            return new ProblemInfo(code.GetString()!, status, Text(root, "title"), Text(root, "detail"), wait, Text(root, "trace_id")) { Extensions = extensions };
        }
        catch (JsonException)
        {
            return fallback;
        }
    }

    /// <summary>
    /// Retry-After as a wait from <paramref name="now"/>: delta-seconds as given, an HTTP date
    /// less now (never negative); null when absent.
    /// </summary>
    public static TimeSpan? RetryAfterDelay(RetryConditionHeaderValue? retryAfter, DateTimeOffset now) => retryAfter switch
    {
        { Delta: { } delta } => delta < TimeSpan.Zero ? TimeSpan.Zero : delta,
        { Date: { } date } => date > now ? date - now : TimeSpan.Zero,
        _ => null,
    };

    /// <summary>Retry-After from its header text (<c>"2"</c>, <c>"Wed, 21 Oct 2026 07:28:00 GMT"</c>); null when absent or unreadable.</summary>
    public static TimeSpan? RetryAfterDelay(string? headerValue, DateTimeOffset now) =>
        RetryConditionHeaderValue.TryParse(headerValue, out var parsed) ? RetryAfterDelay(parsed, now) : null;

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? Shorten(string? body) =>
        string.IsNullOrWhiteSpace(body) ? null : body.Length <= 200 ? body.Trim() : body[..200].Trim() + "...";
}
