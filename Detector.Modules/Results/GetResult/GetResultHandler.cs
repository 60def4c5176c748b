using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Results.GetResult;

/// <summary>One stored result of the tenant, or null when the tenant has none by that id.</summary>
internal sealed class GetResultHandler(IResultStore store)
{
    public Task<ResultDocument?> HandleAsync(Guid tenantId, Guid resultId, CancellationToken ct) => store.GetAsync(tenantId, resultId, ct);
}
