using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.ListResults;

internal static class ListResultsEndpoint
{
    public static async Task<Ok<ResultPage>> Handle([AsParameters] PageRequest request, HttpContext http, IResultStore store, CancellationToken ct)
    {
        var page = await store.ListAsync(http.User.GetTenantId(), request.LimitOrDefault, request.CursorOrNull, ct);
        return TypedResults.Ok(page);
    }
}
