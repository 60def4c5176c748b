using System.Security.Cryptography;
using System.Text;
using Dapper;
using Detector.Modules.Webhooks.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Webhooks.Secrets;

/// <summary>A tenant's webhook secret as listed: never the secret itself.</summary>
internal sealed record WebhookSecretInfo(Guid Id, DateTime CreatedAt, DateTime? RetiresAt);

/// <summary>
/// Each tenant's webhook signing secrets. A secret is derived, never stored:
/// HMAC-SHA256(master key, "detector-webhook-secret" | tenant | salt), the salt random per row.
/// The database alone does not reveal a secret, and the server can re-derive it for every signature.
/// The rows are in jobs.webhook_secrets, where they were made before this module had its own
/// schema; they are this module's (ADR 0015).
/// </summary>
internal sealed class WebhookSecretStore(NpgsqlDataSource dataSource, IOptions<WebhooksOptions> options) : IWebhookSecrets, ITenantWebhookData
{
    public const string Prefix = "whsec_";

    public string? MissingConfiguration => string.IsNullOrEmpty(options.Value.SigningSecret) ? WebhooksOptions.SigningSecretKey : null;

    /// <summary>
    /// A new secret for the tenant, returned once. Secrets still active are retired after
    /// <paramref name="overlap"/> (zero: at once), so receivers can switch without losing deliveries.
    /// </summary>
    public async Task<(WebhookSecretInfo Info, string Secret, int Retiring)> CreateAsync(Guid tenantId, TimeSpan overlap, CancellationToken ct)
    {
        var id = Guid.CreateVersion7();
        var salt = RandomNumberGenerator.GetBytes(32);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var retiring = await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE jobs.webhook_secrets SET retires_at = now() + @overlap
            WHERE tenant_id = @tenantId AND (retires_at IS NULL OR retires_at > now() + @overlap)
            """,
            new { tenantId, overlap },
            tx,
            cancellationToken: ct));
        var createdAt = await connection.ExecuteScalarAsync<DateTime>(new CommandDefinition(
            "INSERT INTO jobs.webhook_secrets (id, tenant_id, salt) VALUES (@id, @tenantId, @salt) RETURNING created_at",
            new { id, tenantId, salt },
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (new WebhookSecretInfo(id, createdAt, null), Derive(tenantId, salt), retiring);
    }

    /// <summary>The tenant's secrets that still sign, newest first.</summary>
    public async Task<IReadOnlyList<WebhookSecretInfo>> ListActiveAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<WebhookSecretInfo>(new CommandDefinition(
            """
            SELECT id AS Id, created_at AS CreatedAt, retires_at AS RetiresAt FROM jobs.webhook_secrets
            WHERE tenant_id = @tenantId AND (retires_at IS NULL OR retires_at > now())
            ORDER BY created_at DESC
            """,
            new { tenantId },
            cancellationToken: ct))).AsList();
    }

    /// <summary>Retires one secret at once; false when the tenant has no such active secret.</summary>
    public async Task<bool> RevokeAsync(Guid tenantId, Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE jobs.webhook_secrets SET retires_at = now() WHERE id = @id AND tenant_id = @tenantId AND (retires_at IS NULL OR retires_at > now())",
            new { tenantId, id },
            cancellationToken: ct)) == 1;
    }

    /// <summary>Whether the tenant has a secret that signs now (submitting a callback needs one).</summary>
    public async Task<bool> HasActiveAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM jobs.webhook_secrets WHERE tenant_id = @tenantId AND (retires_at IS NULL OR retires_at > now()))",
            new { tenantId },
            cancellationToken: cancellationToken));
    }

    /// <summary>The secrets a delivery is signed with now, newest first (several while a rotation overlaps).</summary>
    public async Task<IReadOnlyList<string>> SigningSecretsAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var salts = await connection.QueryAsync<byte[]>(new CommandDefinition(
            """
            SELECT salt FROM jobs.webhook_secrets
            WHERE tenant_id = @tenantId AND (retires_at IS NULL OR retires_at > now())
            ORDER BY created_at DESC
            """,
            new { tenantId },
            cancellationToken: ct));
        return salts.Select(salt => Derive(tenantId, salt)).ToList();
    }

    public async Task<long> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs.webhook_secrets WHERE tenant_id = @tenantId", new { tenantId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT DISTINCT tenant_id FROM jobs.webhook_secrets", cancellationToken: cancellationToken))).AsList();
    }

    private string Derive(Guid tenantId, byte[] salt)
    {
        var master = Encoding.UTF8.GetBytes(options.Value.SigningSecret
            ?? throw new InvalidOperationException(WebhooksOptions.SigningSecretKey + " (the master key of webhook secrets) is not configured."));
        var context = new byte[23 + 16 + salt.Length];
        "detector-webhook-secret"u8.CopyTo(context);
        tenantId.TryWriteBytes(context.AsSpan(23));
        salt.CopyTo(context, 39);
        return Prefix + System.Buffers.Text.Base64Url.EncodeToString(HMACSHA256.HashData(master, context));
    }
}
