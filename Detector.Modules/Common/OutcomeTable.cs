namespace Detector.Modules.Common;

/// <summary>
/// The one table from a domain outcome to its HTTP answer: the status of each kind, and whether it
/// carries Retry-After (when the outcome says how long). The problem code is the outcome's own.
/// Everything that answers a client (the exception handler, endpoint results, the rate limiter,
/// authentication) writes through <see cref="ProblemWriter"/>, which reads this table.
/// </summary>
public static class OutcomeTable
{
    public static int StatusOf(OutcomeKind kind) => kind switch
    {
        OutcomeKind.InvalidInput => StatusCodes.Status400BadRequest,
        OutcomeKind.Unauthenticated => StatusCodes.Status401Unauthorized,
        OutcomeKind.Forbidden => StatusCodes.Status403Forbidden,
        OutcomeKind.NotFound => StatusCodes.Status404NotFound,
        OutcomeKind.Conflict => StatusCodes.Status409Conflict,
        OutcomeKind.TooLarge => StatusCodes.Status413PayloadTooLarge,
        OutcomeKind.UnsupportedMediaType => StatusCodes.Status415UnsupportedMediaType,
        OutcomeKind.WrongRegion => StatusCodes.Status421MisdirectedRequest,
        OutcomeKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        OutcomeKind.TooManyRequests => StatusCodes.Status429TooManyRequests,
        OutcomeKind.Overloaded => StatusCodes.Status503ServiceUnavailable,
        OutcomeKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
        OutcomeKind.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
        OutcomeKind.StorageFull => StatusCodes.Status507InsufficientStorage,
        _ => StatusCodes.Status500InternalServerError,
    };

    /// <summary>Kinds whose answer says when to retry (Retry-After), given the outcome knows.</summary>
    public static bool CarriesRetryAfter(OutcomeKind kind) =>
        kind is OutcomeKind.TooManyRequests or OutcomeKind.Overloaded or OutcomeKind.Unavailable or OutcomeKind.DeadlineExceeded or OutcomeKind.Conflict or OutcomeKind.StorageFull;
}
