using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Detector.Modules.Common;
using Detector.Modules.Jobs.Storage;
using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Jobs.ListJobResults;

/// <summary>A page of a job's items in submission order, with their results; the opaque cursor is the last index served. Null: not the tenant's job.</summary>
internal sealed class ListJobResultsHandler(JobStore store, IResultStore results)
{
    public async Task<JobResultPage?> HandleAsync(Guid tenantId, Guid jobId, PageRequest request, CancellationToken ct)
    {
        var job = await store.GetAsync(tenantId, jobId, ct);
        if (job is null)
        {
            return null;
        }

        var limit = request.LimitOrDefault;
        var after = request.CursorOrNull is { } cursor ? DecodeCursor(cursor) : -1;
        var rows = await store.ListItemsAsync(jobId, after, limit + 1, ct);
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
        return new JobResultPage(jobId, job.Status, items, next);
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

        throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.InvalidCursor, "Invalid cursor", "The cursor is not one this API returned.");
    }
}
