using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Dapper;
using Npgsql;

namespace Detector.Modules.Images.Encryption;

/// <summary>The tenant's data key was destroyed (the tenant was erased): nothing of it can be stored or read again.</summary>
internal sealed class TenantKeyDestroyedException(Guid tenant) : Exception($"The image data key of tenant {tenant} was destroyed.");

/// <summary>
/// Each tenant's 256-bit data key, stored only wrapped under a master key (<c>images.tenant_keys</c>).
/// Unwrapped keys are cached for <see cref="CacheFor"/>, so a key destroyed on one instance is
/// unusable on every instance within that time. Destroying a key (crypto-shredding) makes every
/// blob of the tenant, in every backend and every backup, unreadable at once.
/// </summary>
internal sealed class TenantKeyStore(NpgsqlDataSource dataSource, IKeyWrapper wrapper)
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);
    private const int MaxCached = 10_000;
    private readonly ConcurrentDictionary<Guid, (byte[] Key, long At)> _cache = new();
    private volatile bool _verified;

    /// <summary>The tenant's data key, created on its first image.</summary>
    public async Task<byte[]> GetOrCreateAsync(Guid tenant, CancellationToken ct)
    {
        if (await FindAsync(tenant, ct) is { } existing)
        {
            return existing;
        }

        var wrapped = await wrapper.WrapAsync(RandomNumberGenerator.GetBytes(32), ct);
        await using (var connection = await dataSource.OpenConnectionAsync(ct))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO images.tenant_keys (tenant_id, master_key_id, wrapped_key)
                VALUES (@tenant, @keyId, @wrapped)
                ON CONFLICT (tenant_id) DO NOTHING
                """,
                new { tenant, keyId = wrapped.MasterKeyId, wrapped = wrapped.Wrapped },
                cancellationToken: ct));
        }

        // Another instance may have created it first: use whichever row won.
        return await FindAsync(tenant, ct) ?? throw new TenantKeyDestroyedException(tenant);
    }

    /// <summary>The tenant's data key, or null when it has none yet; throws when it was destroyed.</summary>
    public async Task<byte[]?> FindAsync(Guid tenant, CancellationToken ct)
    {
        if (_cache.TryGetValue(tenant, out var cached) && Stopwatch.GetElapsedTime(cached.At) < CacheFor)
        {
            return cached.Key;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string? KeyId, byte[]? Wrapped)?>(new CommandDefinition(
            "SELECT master_key_id, wrapped_key FROM images.tenant_keys WHERE tenant_id = @tenant",
            new { tenant },
            cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        if (row.Value.Wrapped is null)
        {
            _cache.TryRemove(tenant, out _);
            throw new TenantKeyDestroyedException(tenant);
        }

        var key = await wrapper.UnwrapAsync(new WrappedKey(row.Value.KeyId!, row.Value.Wrapped), ct);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        _cache[tenant] = (key, Stopwatch.GetTimestamp());
        return key;
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition("SELECT tenant_id FROM images.tenant_keys", cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Deletes the tenant's key row, tombstone included (a tenant erase leaves no row naming it);
    /// returns how many rows went. Every blob sealed under the key is unreadable from then on.
    /// </summary>
    public async Task<int> DeleteAsync(Guid tenant, CancellationToken ct)
    {
        _cache.TryRemove(tenant, out _);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM images.tenant_keys WHERE tenant_id = @tenant", new { tenant }, cancellationToken: ct));
    }

    /// <summary>Destroys the tenant's data key (and keeps a tombstone, so no new key is made for it); true when one existed.</summary>
    public async Task<bool> DestroyAsync(Guid tenant, CancellationToken ct)
    {
        _cache.TryRemove(tenant, out _);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var existed = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM images.tenant_keys WHERE tenant_id = @tenant AND wrapped_key IS NOT NULL)",
            new { tenant },
            cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO images.tenant_keys (tenant_id, master_key_id, wrapped_key, destroyed_at)
            VALUES (@tenant, NULL, NULL, now())
            ON CONFLICT (tenant_id) DO UPDATE SET master_key_id = NULL, wrapped_key = NULL, destroyed_at = now()
            """,
            new { tenant },
            cancellationToken: ct));
        return existed;
    }

    /// <summary>
    /// Throws unless the configured master keys open a stored data key (one per master key id in
    /// use), so a wrong key shows up as "not ready" with a clear reason instead of failing every
    /// upload. Checked once per process after it succeeds.
    /// </summary>
    public async Task VerifyMasterKeysAsync(CancellationToken ct)
    {
        if (_verified)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var samples = await connection.QueryAsync<(string KeyId, byte[] Wrapped)>(new CommandDefinition(
            "SELECT DISTINCT ON (master_key_id) master_key_id, wrapped_key FROM images.tenant_keys WHERE wrapped_key IS NOT NULL ORDER BY master_key_id, created_at",
            cancellationToken: ct));
        foreach (var (keyId, wrapped) in samples)
        {
            try
            {
                await wrapper.UnwrapAsync(new WrappedKey(keyId, wrapped), ct);
            }
            catch (CryptographicException ex)
            {
                throw new CryptographicException($"The configured image master key '{keyId}' does not open the data keys stored under that id: wrong key, or a retired key missing from ImageStore:Encryption:RetiredMasterKeys.", ex);
            }
        }

        _verified = true;
    }

    /// <summary>
    /// Re-wraps every data key not under the active master key (master-key rotation): the images
    /// themselves are not touched. Returns how many keys moved.
    /// </summary>
    public async Task<int> RewrapAllAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(Guid Tenant, string KeyId, byte[] Wrapped)>(new CommandDefinition(
            "SELECT tenant_id, master_key_id, wrapped_key FROM images.tenant_keys WHERE wrapped_key IS NOT NULL AND master_key_id <> @active",
            new { active = wrapper.ActiveKeyId },
            cancellationToken: ct))).AsList();
        foreach (var (tenant, keyId, wrapped) in rows)
        {
            var dataKey = await wrapper.UnwrapAsync(new WrappedKey(keyId, wrapped), ct);
            var rewrapped = await wrapper.WrapAsync(dataKey, ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE images.tenant_keys SET master_key_id = @keyId, wrapped_key = @wrapped WHERE tenant_id = @tenant AND master_key_id = @old",
                new { tenant, keyId = rewrapped.MasterKeyId, wrapped = rewrapped.Wrapped, old = keyId },
                cancellationToken: ct));
        }

        return rows.Count;
    }
}
