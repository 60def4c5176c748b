using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Results.GetResult;

/// <summary>One stored result of the tenant (for a browser key, one it created), or null when there is none by that id.</summary>
internal sealed class GetResultHandler(IResultStore store)
{
    public Task<ResultDocument?> HandleAsync(Guid tenantId, Guid? browserKey, Guid resultId, CancellationToken ct) => store.GetAsync(tenantId, resultId, browserKey, ct);
}
