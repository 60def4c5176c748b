using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Results.ListResults;

/// <summary>A page of the tenant's results, newest first, from where the cursor left off.</summary>
internal sealed class ListResultsHandler(IResultStore store)
{
    public Task<ResultPage> HandleAsync(Guid tenantId, int limit, string? cursor, CancellationToken ct) => store.ListAsync(tenantId, limit, cursor, ct);
}
