using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.ListResults;

/// <summary>GET /v1/results[?limit=&amp;cursor=] (validated by the page request's validator).</summary>
internal static class ListResultsEndpoint
{
    public static async Task<Ok<ResultPage>> Handle([AsParameters] PageRequest request, HttpContext http, ListResultsHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(http.User.GetTenantId(), request.LimitOrDefault, request.CursorOrNull, ct));
}
