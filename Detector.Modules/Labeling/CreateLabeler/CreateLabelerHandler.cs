using Detector.Modules.Labeling.Authentication;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Labeling.CreateLabeler;

/// <summary>A new labeler and its key (<c>X-Labeler-Key</c>); the key is never stored, only its keyed hash.</summary>
internal sealed record CreatedLabeler(Guid Id, string Name, string Role, string LabelerKey, string KeyPrefix, DateTimeOffset CreatedAt);

internal sealed class CreateLabelerHandler(LabelerStore store, IKeyHashing hashing, TimeProvider time)
{
    public async Task<CreatedLabeler> HandleAsync(string name, string role, CancellationToken ct)
    {
        var key = hashing.NewKey(LabelerClaims.KeyPrefix);
        var (id, now, prefix) = (Guid.NewGuid(), time.GetUtcNow(), hashing.DisplayPrefix(key));
        await store.CreateAsync(id, name, role, hashing.Hash(LabelerClaims.KeyPurpose, key), prefix, now, ct);
        return new CreatedLabeler(id, name, role, key, prefix, now);
    }
}
