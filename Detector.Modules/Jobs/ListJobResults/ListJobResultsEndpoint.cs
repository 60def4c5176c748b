using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Detector.Modules.Common;
using Detector.Modules.Jobs.GetJob;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Jobs.ListJobResults;

internal sealed record ItemError(string Code, string? Detail);

internal sealed record JobResultItem(int Index, string? FileName, string? Url, string Status, ItemError? Error, ResultDocument? Result);

internal sealed record JobResultPage(Guid JobId, string Status, IReadOnlyList<JobResultItem> Items, string? NextCursor);

internal static class ListJobResultsEndpoint
{
    /// <summary>Items in submission order; the opaque cursor is the last index served.</summary>
    public static async Task<Results<Ok<JobResultPage>, ProblemHttpResult>> Handle(
        Guid id, [AsParameters] PageRequest request, HttpContext http, JobStore store, IResultStore results, CancellationToken ct)
    {
        var tenantId = http.User.GetTenantId();
        var job = await store.GetAsync(tenantId, id, ct);
        if (job is null)
        {
            return GetJobEndpoint.NotFound(http, id);
        }

        var limit = request.LimitOrDefault;
        var after = request.CursorOrNull is { } cursor ? DecodeCursor(cursor) : -1;
        var rows = await store.ListItemsAsync(id, after, limit + 1, ct);
        var page = rows.Take(limit).ToList();
        var ids = page.Where(r => r.ResultId is not null).Select(r => r.ResultId!.Value).ToList();
        var documents = ids.Count == 0 ? new Dictionary<Guid, ResultDocument>() : await results.GetManyAsync(tenantId, ids, ct);
        var items = page.Select(r => new JobResultItem(
            r.Idx,
            r.FileName,
            r.Url,
            r.State,
            r.ErrorCode is null || r.State == "succeeded" ? null : new ItemError(r.ErrorCode, r.ErrorDetail),
            r.ResultId is { } rid && documents.TryGetValue(rid, out var doc) ? doc : null)).ToList();
        var next = rows.Count > limit ? EncodeCursor(page[^1].Idx) : null;
        return TypedResults.Ok(new JobResultPage(id, job.Status, items, next));
    }

    internal static string EncodeCursor(int index) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes("i:" + index.ToString(CultureInfo.InvariantCulture)));

    internal static int DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            if (text.StartsWith("i:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                return index;
            }
        }
        catch (FormatException)
        {
        }

        throw new ProblemException(400, ErrorCodes.InvalidCursor, "Invalid cursor", "The cursor is not one this API returned.");
    }
}
