using Dapper;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>A labeler a tenant granted access to its images.</summary>
internal sealed record GrantView(Guid LabelerId, string Name, string Role, DateTime GrantedAt);

/// <summary><c>labeling.grants</c>: which labelers see which tenant's items.</summary>
internal sealed class GrantStore(NpgsqlDataSource dataSource)
{
    public async Task GrantAsync(Guid tenantId, Guid labelerId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO labeling.grants (tenant_id, labeler_id, created_at) VALUES (@tenantId, @labelerId, @now)
            ON CONFLICT (tenant_id, labeler_id) DO NOTHING
            """, new { tenantId, labelerId, now }, cancellationToken: ct));
    }

    /// <summary>Revokes the grant and the labeler's open assignments on the tenant's items; false when there was none.</summary>
    public async Task<bool> RevokeAsync(Guid tenantId, Guid labelerId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            WITH released AS (DELETE FROM labeling.assignments WHERE tenant_id = @tenantId AND labeler_id = @labelerId)
            DELETE FROM labeling.grants WHERE tenant_id = @tenantId AND labeler_id = @labelerId
            """, new { tenantId, labelerId }, cancellationToken: ct)) > 0;
    }

    public async Task<IReadOnlyList<GrantView>> ListAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<GrantView>(new CommandDefinition(
            """
            SELECT g.labeler_id AS LabelerId, l.name, l.role, g.created_at AS GrantedAt
            FROM labeling.grants g JOIN labeling.labelers l ON l.id = g.labeler_id
            WHERE g.tenant_id = @tenantId ORDER BY g.created_at, g.labeler_id
            """, new { tenantId }, cancellationToken: ct))).AsList();
    }
}
