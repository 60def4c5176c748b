namespace Detector.Modules.Common;

/// <summary>
/// A failure that maps to one RFC 7807 answer: an HTTP status and a stable machine-readable code.
/// Thrown anywhere in a module; the host turns it into application/problem+json.
/// </summary>
public sealed class ProblemException : Exception
{
    public ProblemException(int status, string code, string title, string? detail = null, Exception? inner = null)
        : base(detail ?? title, inner)
    {
        Status = status;
        Code = code;
        Title = title;
        Detail = detail;
    }

    public ProblemException()
        : this(500, ErrorCodes.Internal, "Internal error")
    {
    }

    public ProblemException(string message)
        : this(500, ErrorCodes.Internal, message)
    {
    }

    public ProblemException(string message, Exception innerException)
        : this(500, ErrorCodes.Internal, message, null, innerException)
    {
    }

    public int Status { get; }

    public string Code { get; }

    public string Title { get; }

    public string? Detail { get; }

    /// <summary>Seconds a client should wait before retrying, for 503/429 answers.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Extra members of the problem document (snake_case names), e.g. reset_at of a quota.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }
}
