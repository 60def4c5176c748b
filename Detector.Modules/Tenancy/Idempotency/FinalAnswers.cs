namespace Detector.Modules.Tenancy.Idempotency;

/// <summary>
/// Which answers an Idempotency-Key remembers: only final ones, those the same request would get
/// again. A success (2xx) is final, and so is a refusal of the request itself (400 malformed, 404
/// no such thing, 413 too large, 415 wrong media type, 422 unprocessable). Anything else may change
/// on retry and would lock the client out of its own key for a day if replayed: 429 (requests in
/// flight, rate, quota), 403 (the plan may change), 409 (something still running), 5xx (503
/// overloaded, 507 storage). Listed, not ranged, so a new status is not remembered by accident.
/// </summary>
internal static class FinalAnswers
{
    public static bool IsFinal(int status) => status is (>= 200 and <= 299) or 400 or 404 or 413 or 415 or 422;
}
