using Detector.Modules.Common;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Jobs.ListJobResults;

internal sealed record ItemError(string Code, string? Detail);

internal sealed record JobResultItem(int Index, string? FileName, string? Url, string Status, ItemError? Error, ResultDocument? Result);

internal sealed record JobResultPage(Guid JobId, string Status, IReadOnlyList<JobResultItem> Items, string? NextCursor);

internal static class ListJobResultsEndpoint
{
    public static async Task<Results<Ok<JobResultPage>, ProblemHttpResult>> Handle(
        Guid id, [AsParameters] PageRequest request, HttpContext http, ListJobResultsHandler handler, CancellationToken ct) =>
        await handler.HandleAsync(http.User.GetTenantId(), id, request, ct) is { } page ? TypedResults.Ok(page) : GetJobEndpoint.NotFound(http, id);
}
