using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.GetResult;

/// <summary>
/// GET /v1/results/{id}: another tenant's result (or, for a browser key, one another key created)
/// answers 404 like a missing one, so ids reveal nothing; the answer carries an ETag, and If-None-Match naming it answers 304.
/// </summary>
internal static class GetResultEndpoint
{
    public static async Task<Results<Ok<ResultDocument>, StatusCodeHttpResult, ProblemHttpResult>> Handle(Guid id, HttpContext http, GetResultHandler handler, CancellationToken ct)
    {
        if (await handler.HandleAsync(http.User.GetTenantId(), http.User.BrowserKeyId(), id, ct) is not { } result)
        {
            return TypedResults.Problem(ProblemWriter.Create(http, new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Result not found", $"No result {id}.")));
        }

        var etag = ResultETag.Of(result);
        http.Response.Headers.ETag = etag;
        return ResultETag.Matches(http.Request.Headers.IfNoneMatch, etag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(result);
    }
}
