using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Results.DeleteResult;

/// <summary>
/// Deletes exactly the result (the image stays: DELETE /v1/images/{sha256} removes it), and the
/// Idempotency-Key answers that would replay it. False when the tenant has no such result.
/// </summary>
internal sealed class DeleteResultHandler(IResultStore store, IIdempotencyRecords idempotency)
{
    public async Task<bool> HandleAsync(Guid tenantId, Guid resultId, CancellationToken ct)
    {
        if (!await store.DeleteAsync(tenantId, resultId, ct))
        {
            return false;
        }

        // Not cancelled with the request: the result is gone, so must be the answers naming it.
        await idempotency.ForgetAsync(tenantId, [resultId], CancellationToken.None);
        return true;
    }
}
