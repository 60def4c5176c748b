using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Npgsql;

namespace Detector.Modules.Images.Encryption;

/// <summary>The tenant's data key was erased (the tenant was erased): nothing of it can be stored or read again.</summary>
internal sealed class TenantKeyDestroyedException(Guid tenant) : Exception($"The image data key of tenant {tenant} was erased.");

/// <summary>
/// Each tenant's 256-bit data key, stored only wrapped under a master key (<c>images.tenant_keys</c>).
/// Unwrapped keys are cached for <see cref="CacheFor"/>, and dropped at once when Tenancy reports a
/// change of the tenant (its LISTEN/NOTIFY change feed: disabling and erasing the tenant are such
/// changes), so another instance does not keep an erased tenant's key in memory. Erasing a key
/// deletes its row and leaves a tombstone (<c>images.erased_tenants</c>, a digest of the tenant id,
/// so no row names the tenant) that refuses every new key for it (crypto-shredding: a blob sealed
/// under the key cannot be opened by anything that lacks a copy of the wrapped key).
/// </summary>
internal sealed class TenantKeyStore
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(60);
    private const int MaxCached = 10_000;
    private readonly ConcurrentDictionary<Guid, (byte[] Key, long At)> _cache = new();
    private readonly NpgsqlDataSource _dataSource;
    private readonly IKeyWrapper _wrapper;
    private volatile bool _verified;

    public TenantKeyStore(NpgsqlDataSource dataSource, IKeyWrapper wrapper, IEnumerable<ITenantChanges> changes)
    {
        _dataSource = dataSource;
        _wrapper = wrapper;
        foreach (var feed in changes)
        {
            feed.Changed += tenant =>
            {
                if (tenant is { } id)
                {
                    Forget(id);
                }
                else
                {
                    _cache.Clear();
                }
            };
        }
    }

    /// <summary>Whether this instance holds the tenant's unwrapped key (tests look).</summary>
    public bool IsCached(Guid tenant) => _cache.ContainsKey(tenant);

    /// <summary>Drops the tenant's cached key (its row was found gone, or the tenant changed).</summary>
    public void Forget(Guid tenant) => _cache.TryRemove(tenant, out _);

    /// <summary>The tenant's data key, created on its first image; throws when the tenant was erased.</summary>
    public async Task<byte[]> GetOrCreateAsync(Guid tenant, CancellationToken ct)
    {
        if (await FindAsync(tenant, ct) is { } existing)
        {
            return existing;
        }

        var wrapped = await _wrapper.WrapAsync(RandomNumberGenerator.GetBytes(32), ct);
        await using (var connection = await _dataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            // The erase takes the same lock, so a key is never made beside a tombstone being written.
            await LockAsync(connection, tx, tenant, ct);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                INSERT INTO images.tenant_keys (tenant_id, master_key_id, wrapped_key)
                SELECT @tenant, @keyId, @wrapped
                WHERE NOT EXISTS (SELECT 1 FROM images.erased_tenants WHERE tenant_digest = @digest)
                ON CONFLICT (tenant_id) DO NOTHING
                """,
                new { tenant, keyId = wrapped.MasterKeyId, wrapped = wrapped.Wrapped, digest = ErasedDigest(tenant) },
                tx,
                cancellationToken: ct));
            await tx.CommitAsync(ct);
        }

        // Another instance may have created it first: use whichever row won. None: the tenant was erased.
        return await FindAsync(tenant, ct) ?? throw new TenantKeyDestroyedException(tenant);
    }

    /// <summary>The tenant's data key, or null when it has none (yet, or any more).</summary>
    public async Task<byte[]?> FindAsync(Guid tenant, CancellationToken ct)
    {
        if (_cache.TryGetValue(tenant, out var cached) && Stopwatch.GetElapsedTime(cached.At) < CacheFor)
        {
            return cached.Key;
        }

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<(string? KeyId, byte[]? Wrapped)?>(new CommandDefinition(
            "SELECT master_key_id, wrapped_key FROM images.tenant_keys WHERE tenant_id = @tenant AND wrapped_key IS NOT NULL",
            new { tenant },
            cancellationToken: ct));
        if (row is null)
        {
            Forget(tenant);
            return null;
        }

        var key = await _wrapper.UnwrapAsync(new WrappedKey(row.Value.KeyId!, row.Value.Wrapped!), ct);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        _cache[tenant] = (key, Stopwatch.GetTimestamp());
        return key;
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken ct)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<Guid>(new CommandDefinition("SELECT tenant_id FROM images.tenant_keys", cancellationToken: ct))).AsList();
    }

    /// <summary>
    /// Erases the tenant's key: deletes its row and records the tombstone that refuses a new one,
    /// in one transaction; returns how many key rows went (0 or 1). Every blob sealed under the
    /// key is unreadable from then on, and no instance seals another (a put checks the row).
    /// </summary>
    public async Task<int> EraseAsync(Guid tenant, CancellationToken ct)
    {
        Forget(tenant);
        int deleted;
        await using (var connection = await _dataSource.OpenConnectionAsync(ct))
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await LockAsync(connection, tx, tenant, ct);
            deleted = await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM images.tenant_keys WHERE tenant_id = @tenant", new { tenant }, tx, cancellationToken: ct));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO images.erased_tenants (tenant_digest) VALUES (@digest) ON CONFLICT DO NOTHING",
                new { digest = ErasedDigest(tenant) },
                tx,
                cancellationToken: ct));
            await tx.CommitAsync(ct);
        }

        Forget(tenant); // a read on this instance may have cached it again meanwhile
        return deleted;
    }

    /// <summary>The tombstone's key: names no tenant, and is the same in SQL (db/0012) and here.</summary>
    public static byte[] ErasedDigest(Guid tenant) =>
        SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("detector-images-erased:" + tenant.ToString("D")));

    private static Task<int> LockAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenant, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(hashtextextended('images.tenant_keys:' || @tenant::text, 0))", new { tenant }, tx, cancellationToken: ct));

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

        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        var samples = await connection.QueryAsync<(string KeyId, byte[] Wrapped)>(new CommandDefinition(
            "SELECT DISTINCT ON (master_key_id) master_key_id, wrapped_key FROM images.tenant_keys WHERE wrapped_key IS NOT NULL ORDER BY master_key_id, created_at",
            cancellationToken: ct));
        foreach (var (keyId, wrapped) in samples)
        {
            try
            {
                await _wrapper.UnwrapAsync(new WrappedKey(keyId, wrapped), ct);
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
        await using var connection = await _dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<(Guid Tenant, string KeyId, byte[] Wrapped)>(new CommandDefinition(
            "SELECT tenant_id, master_key_id, wrapped_key FROM images.tenant_keys WHERE wrapped_key IS NOT NULL AND master_key_id <> @active",
            new { active = _wrapper.ActiveKeyId },
            cancellationToken: ct))).AsList();
        foreach (var (tenant, keyId, wrapped) in rows)
        {
            var dataKey = await _wrapper.UnwrapAsync(new WrappedKey(keyId, wrapped), ct);
            var rewrapped = await _wrapper.WrapAsync(dataKey, ct);
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE images.tenant_keys SET master_key_id = @keyId, wrapped_key = @wrapped WHERE tenant_id = @tenant AND master_key_id = @old",
                new { tenant, keyId = rewrapped.MasterKeyId, wrapped = rewrapped.Wrapped, old = keyId },
                cancellationToken: ct));
        }

        return rows.Count;
    }
}
