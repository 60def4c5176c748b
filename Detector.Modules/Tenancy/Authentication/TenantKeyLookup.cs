using System.Security.Cryptography;
using Detector.Modules.Tenancy.Keys;
using Detector.Modules.Tenancy.Tenants;

namespace Detector.Modules.Tenancy.Authentication;

/// <summary>A key as presented: its keyed hash, and what this instance already knows of it.</summary>
/// <param name="Known">The stored key, when its verdict is cached.</param>
/// <param name="KnownUnknown">Whether the key was looked up lately and not found.</param>
internal sealed record PresentedKey(string Key, byte[] Hash, object CacheKey, object UnknownCacheKey, StoredKey? Known, bool KnownUnknown);

/// <summary>
/// What a tenant key is: the verdict cached on this instance until the tenant changes, else the
/// stored key found by its keyed hash (a key stored under the legacy unkeyed hash is moved to the
/// keyed one on first use). Unknown keys are remembered too, a bounded number, so repeating one
/// costs no round trip. The throttles around a lookup are <see cref="KeyGuard"/>'s.
/// </summary>
internal sealed class TenantKeyLookup(KeyHasher hasher, KeyStore keys, TenancyCache cache, KeyUsageTracker usage, TimeProvider time)
{
    public PresentedKey Recall(string key)
    {
        var hash = hasher.Hash(key);
        var cacheKey = (nameof(StoredKey), Convert.ToHexString(hash));
        var unknownKey = ("unknown", cacheKey.Item2);
        cache.TryGet(cacheKey, out StoredKey? known);
        return new PresentedKey(key, hash, cacheKey, unknownKey, known, known is null && cache.TryGet(unknownKey, out bool _));
    }

    /// <summary>The stored key, now cached; null (and remembered as unknown) when there is none or its hash does not match.</summary>
    public async Task<StoredKey?> LookUpAsync(PresentedKey presented, CancellationToken ct)
    {
        var epoch = cache.Epoch;
        TenancyMetrics.KeyLookups.Inc();
        var legacyHash = KeyHasher.LegacyHash(presented.Key);
        var stored = await keys.LookupAsync(presented.Hash, legacyHash, ct);
        if (stored is null || !CryptographicOperations.FixedTimeEquals(stored.StoredHash, stored.HashKind == "hmac" ? presented.Hash : legacyHash))
        {
            cache.SetUnknown(presented.UnknownCacheKey);
            return null;
        }

        if (stored.HashKind != "hmac")
        {
            await keys.UpgradeHashAsync(stored.KeyId, presented.Hash, ct);
        }

        // An active key is trusted at most until its rotation grace ends.
        TimeSpan? maxAge = stored.ExpiresAt is { } expires ? new DateTimeOffset(expires, TimeSpan.Zero) - time.GetUtcNow() : null;
        cache.SetForTenant(presented.CacheKey, stored, stored.TenantId, epoch, maxAge);
        return stored;
    }

    /// <summary>Whether the key may be used now (active, not past its grace); its use is recorded when it may.</summary>
    public bool Admit(StoredKey stored)
    {
        if (!stored.Active || (stored.ExpiresAt is { } expires && new DateTimeOffset(expires, TimeSpan.Zero) <= time.GetUtcNow()))
        {
            return false;
        }

        usage.Record(stored.KeyId);
        return true;
    }
}
