namespace Detector.Modules.Common;

/// <summary>
/// What a use case came to when it did not succeed, in the domain's words. Modules raise a
/// <see cref="DomainException"/> of a kind with a stable code; only the HTTP edge
/// (<see cref="OutcomeTable"/>) decides the status and headers a client sees.
/// </summary>
public enum OutcomeKind
{
    /// <summary>The request itself is malformed or out of range.</summary>
    InvalidInput,

    /// <summary>No valid credentials.</summary>
    Unauthenticated,

    /// <summary>Valid credentials that may not do this.</summary>
    Forbidden,

    /// <summary>No such thing for this caller (another tenant's looks the same).</summary>
    NotFound,

    /// <summary>The thing's state does not allow it now (still running, in use, has data).</summary>
    Conflict,

    /// <summary>Too large: a body, an image, too many pixels, too many images.</summary>
    TooLarge,

    /// <summary>A format the service does not take.</summary>
    UnsupportedMediaType,

    /// <summary>Well-formed but unusable content (a corrupt image, a reused key with another payload).</summary>
    Unprocessable,

    /// <summary>The caller's data lives in another region; go there.</summary>
    WrongRegion,

    /// <summary>The caller's own limits: rate, quota, requests in flight, unknown keys.</summary>
    TooManyRequests,

    /// <summary>The service is at capacity; retry after the time given.</summary>
    Overloaded,

    /// <summary>A dependency is down or not ready (database, store, model loading); retry.</summary>
    Unavailable,

    /// <summary>The request's deadline passed before it was served.</summary>
    DeadlineExceeded,

    /// <summary>Nowhere to keep what was sent (a full disk or database).</summary>
    StorageFull,

    /// <summary>A failure of the service itself.</summary>
    Internal,
}

/// <summary>
/// A use case's outcome other than success: its <see cref="Kind"/>, a stable machine-readable
/// <see cref="Code"/> (<see cref="ErrorCodes"/>), and words for people. Thrown anywhere below the
/// endpoints; the edge answers it as application/problem+json.
/// </summary>
public sealed class DomainException : Exception
{
    public DomainException(OutcomeKind kind, string code, string title, string? detail = null, Exception? inner = null)
        : base(detail ?? title, inner)
    {
        Kind = kind;
        Code = code;
        Title = title;
        Detail = detail;
    }

    public DomainException()
        : this(OutcomeKind.Internal, ErrorCodes.Internal, "Internal error")
    {
    }

    public DomainException(string message)
        : this(OutcomeKind.Internal, ErrorCodes.Internal, message)
    {
    }

    public DomainException(string message, Exception innerException)
        : this(OutcomeKind.Internal, ErrorCodes.Internal, message, null, innerException)
    {
    }

    public OutcomeKind Kind { get; }

    public string Code { get; }

    public string Title { get; }

    public string? Detail { get; }

    /// <summary>Seconds a client should wait before retrying (refusals that pass).</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>Extra members of the answer (snake_case names), e.g. reset_at of a quota.</summary>
    public IReadOnlyDictionary<string, object?>? Extensions { get; init; }

    /// <summary>The caller's own doing (its input, its rights, its data): the same request fails the same way again.</summary>
    public bool IsCallersFault => Kind is OutcomeKind.InvalidInput or OutcomeKind.Unauthenticated or OutcomeKind.Forbidden or OutcomeKind.NotFound
        or OutcomeKind.Conflict or OutcomeKind.TooLarge or OutcomeKind.UnsupportedMediaType or OutcomeKind.Unprocessable or OutcomeKind.WrongRegion;

    /// <summary>Whether retrying later can succeed without the caller changing anything.</summary>
    public bool IsTransient => Kind is OutcomeKind.TooManyRequests or OutcomeKind.Overloaded or OutcomeKind.Unavailable or OutcomeKind.DeadlineExceeded;
}
