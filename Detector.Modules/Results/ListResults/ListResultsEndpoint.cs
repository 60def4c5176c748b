using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Results.ListResults;

internal static class ListResultsEndpoint
{
    public static async Task<Ok<ResultPage>> Handle([AsParameters] ListResultsRequest request, HttpContext http, IResultStore store, CancellationToken ct)
    {
        var page = await store.ListAsync(http.User.GetTenantId(), request.Limit ?? 20, string.IsNullOrEmpty(request.Cursor) ? null : request.Cursor, ct);
        return TypedResults.Ok(page);
    }
}
