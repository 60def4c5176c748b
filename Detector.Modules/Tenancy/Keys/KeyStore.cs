using Detector.Modules.Common.Database;
using Dapper;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Tenants;
using Npgsql;

namespace Detector.Modules.Tenancy.Keys;

internal sealed class KeyRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public string? Name { get; set; }

    public string Prefix { get; set; } = "";

    public string Kind { get; set; } = TenantClaims.SecretKey;

    public DateTime CreatedAt { get; set; }

    public DateTime? LastUsedAt { get; set; }

    public DateTime? ExpiresAt { get; set; }

    public DateTime? RevokedAt { get; set; }
}

/// <summary>A stored key found by its hash: whose it is, whether it may be used now, and until when.</summary>
internal sealed record StoredKey(Guid KeyId, Guid TenantId, byte[] StoredHash, string HashKind, bool Active, DateTime? ExpiresAt, string Kind);

/// <summary>The api_keys table. Every change that takes a key away is announced to all instances in its transaction.</summary>
internal sealed class KeyStore([FromKeyedServices(DatabaseExtensions.Directory)] NpgsqlDataSource dataSource, KeyHasher hasher)
{
    private const string Columns =
        "id AS Id, tenant_id AS TenantId, name AS Name, prefix AS Prefix, kind AS Kind, created_at AS CreatedAt, last_used_at AS LastUsedAt, expires_at AS ExpiresAt, revoked_at AS RevokedAt";

    public async Task<(KeyRow Row, string Key)> CreateAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenantId, string? name, string kind, CancellationToken ct)
    {
        var key = KeyHasher.Generate(kind);
        var row = await connection.QuerySingleAsync<KeyRow>(new CommandDefinition(
            $"""
            INSERT INTO tenancy.api_keys (id, tenant_id, name, prefix, key_hash, hash_kind, kind)
            VALUES (@id, @tenantId, @name, @prefix, @hash, 'hmac', @kind)
            RETURNING {Columns}
            """,
            new { id = Guid.CreateVersion7(), tenantId, name, prefix = KeyHasher.DisplayPrefix(key), hash = hasher.Hash(key), kind },
            tx,
            cancellationToken: ct));
        return (row, key);
    }

    public async Task<(KeyRow Row, string Key)?> CreateAsync(Guid tenantId, string? name, string kind, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        if (!await TenantExistsAsync(connection, tx, tenantId, ct))
        {
            return null;
        }

        var created = await CreateAsync(connection, tx, tenantId, name, kind, ct);
        await tx.CommitAsync(ct);
        return created;
    }

    public async Task<IReadOnlyList<KeyRow>> ListAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<KeyRow>(new CommandDefinition(
            $"SELECT {Columns} FROM tenancy.api_keys WHERE tenant_id = @tenantId ORDER BY created_at",
            new { tenantId },
            cancellationToken: ct))).AsList();
    }

    /// <summary>A new key for the tenant; the old one keeps working for <paramref name="grace"/>, then stops. Null when the key is not the tenant's or no longer active.</summary>
    public async Task<(KeyRow Row, string Key, DateTime OldExpiresAt)?> RotateAsync(Guid tenantId, Guid keyId, TimeSpan grace, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var old = await connection.QuerySingleOrDefaultAsync<KeyRow>(new CommandDefinition(
            $"""
            UPDATE tenancy.api_keys SET expires_at = least(coalesce(expires_at, 'infinity'), now() + @grace)
            WHERE tenant_id = @tenantId AND id = @keyId AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
            RETURNING {Columns}
            """,
            new { tenantId, keyId, grace },
            tx,
            cancellationToken: ct));
        if (old is null)
        {
            return null;
        }

        // The replacement is of the same kind: rotating a browser key must not hand a page a secret one.
        var created = await CreateAsync(connection, tx, tenantId, old.Name, old.Kind, ct);
        await TenancyNotifier.NotifyAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        return (created.Row, created.Key, old.ExpiresAt!.Value);
    }

    /// <summary>Revokes at once, on every instance. False when the key is not the tenant's.</summary>
    public async Task<bool> RevokeAsync(Guid tenantId, Guid keyId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var found = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tenancy.api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE tenant_id = @tenantId AND id = @keyId",
            new { tenantId, keyId },
            tx,
            cancellationToken: ct)) == 1;
        await TenancyNotifier.NotifyAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        return found;
    }

    /// <summary>
    /// The key stored under either hash, or null. Active means usable now: not revoked, not past
    /// its rotation grace, and its tenant not disabled.
    /// </summary>
    public async Task<StoredKey?> LookupAsync(byte[] hash, byte[] legacyHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<StoredKey>(new CommandDefinition(
            """
            SELECT k.id AS KeyId, k.tenant_id AS TenantId, k.key_hash AS StoredHash, k.hash_kind AS HashKind,
                   (k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()) AND t.disabled_at IS NULL) AS Active,
                   k.expires_at AS ExpiresAt, k.kind AS Kind
            FROM tenancy.api_keys k
            JOIN tenancy.tenants t ON t.id = k.tenant_id
            WHERE (k.key_hash = @hash AND k.hash_kind = 'hmac') OR (k.key_hash = @legacyHash AND k.hash_kind = 'sha256')
            """,
            new { hash, legacyHash },
            cancellationToken: ct));
    }

    /// <summary>Stores a legacy key's keyed hash from now on.</summary>
    public async Task UpgradeHashAsync(Guid keyId, byte[] hash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tenancy.api_keys SET key_hash = @hash, hash_kind = 'hmac' WHERE id = @keyId AND hash_kind = 'sha256'",
            new { keyId, hash },
            cancellationToken: ct));
    }

    /// <summary>Records when keys were last used (batched; never moves a time backwards).</summary>
    public async Task TouchAsync(IReadOnlyCollection<KeyValuePair<Guid, DateTime>> used, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE tenancy.api_keys k SET last_used_at = greatest(k.last_used_at, u.at)
            FROM unnest(@ids, @ats) AS u(id, at) WHERE k.id = u.id
            """,
            new { ids = used.Select(u => u.Key).ToArray(), ats = used.Select(u => u.Value).ToArray() },
            cancellationToken: ct));
    }

    private static Task<bool> TenantExistsAsync(NpgsqlConnection connection, NpgsqlTransaction tx, Guid tenantId, CancellationToken ct) =>
        connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM tenancy.tenants WHERE id = @tenantId)", new { tenantId }, tx, cancellationToken: ct));
}
