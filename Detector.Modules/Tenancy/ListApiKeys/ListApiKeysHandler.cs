using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Keys;

namespace Detector.Modules.Tenancy.ListApiKeys;

internal sealed record KeyListResponse(IReadOnlyList<KeyView> Keys);

/// <summary>A tenant's keys: prefix, status (as of now), created, last used, expiry, revocation; never the keys.</summary>
internal sealed class ListApiKeysHandler(KeyStore keys, TimeProvider time)
{
    public async Task<KeyListResponse> HandleAsync(Guid tenantId, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return new KeyListResponse((await keys.ListAsync(tenantId, ct)).Select(k => KeyView.From(k, now)).ToList());
    }
}
