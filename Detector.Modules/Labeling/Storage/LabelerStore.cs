using Dapper;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>A labeler as authentication sees it.</summary>
internal sealed record LabelerRow(Guid Id, string Name, string Role);

/// <summary>A labeler with its agreement statistics (from its label sets).</summary>
/// <param name="ItemsLabeled">Label sets it gave.</param>
/// <param name="ComparedWithOther">Of those, the ones a second labeler's set was compared with.</param>
/// <param name="AgreedWithOther">Of those, the ones that agreed (consensus rule).</param>
/// <param name="Reviewed">Its label sets of items a reviewer decided.</param>
/// <param name="AgreedWithReview">Of those, the ones that agreed with the reviewer's final boxes.</param>
/// <param name="Reviews">Items it decided as a reviewer.</param>
internal sealed record LabelerView(
    Guid Id, string Name, string Role, string KeyPrefix, DateTime CreatedAt,
    long ItemsLabeled, long ComparedWithOther, long AgreedWithOther, long Reviewed, long AgreedWithReview, long Reviews);

/// <summary><c>labeling.labelers</c>: people who label, with their keys' hashes only.</summary>
internal sealed class LabelerStore(NpgsqlDataSource dataSource)
{
    public async Task CreateAsync(Guid id, string name, string role, byte[] keyHash, string keyPrefix, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO labeling.labelers (id, name, role, key_hash, key_prefix, created_at)
            VALUES (@id, @name, @role, @keyHash, @keyPrefix, @now)
            """,
            new { id, name, role, keyHash, keyPrefix, now }, cancellationToken: ct));
    }

    public async Task<LabelerRow?> FindByKeyHashAsync(byte[] keyHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<LabelerRow>(new CommandDefinition(
            "SELECT id, name, role FROM labeling.labelers WHERE key_hash = @keyHash", new { keyHash }, cancellationToken: ct));
    }

    public async Task<bool> ExistsAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM labeling.labelers WHERE id = @id)", new { id }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<LabelerView>> ListAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<LabelerView>(new CommandDefinition(
            """
            SELECT l.id, l.name, l.role, l.key_prefix AS KeyPrefix, l.created_at AS CreatedAt,
                   count(*) FILTER (WHERE s.kind = 'label') AS ItemsLabeled,
                   count(*) FILTER (WHERE s.kind = 'label' AND s.agreed IS NOT NULL) AS ComparedWithOther,
                   count(*) FILTER (WHERE s.kind = 'label' AND s.agreed) AS AgreedWithOther,
                   count(*) FILTER (WHERE s.kind = 'label' AND s.matches_final IS NOT NULL) AS Reviewed,
                   count(*) FILTER (WHERE s.kind = 'label' AND s.matches_final) AS AgreedWithReview,
                   count(*) FILTER (WHERE s.kind = 'review') AS Reviews
            FROM labeling.labelers l
            LEFT JOIN labeling.label_sets s ON s.labeler_id = l.id
            GROUP BY l.id
            ORDER BY l.created_at, l.id
            """, cancellationToken: ct))).AsList();
    }

    /// <summary>Deletes the labeler (its grants go with it, its open assignments are released); false when there is none.</summary>
    public async Task<bool> DeleteAsync(Guid id, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            WITH released AS (DELETE FROM labeling.assignments WHERE labeler_id = @id)
            DELETE FROM labeling.labelers WHERE id = @id
            """, new { id }, cancellationToken: ct)) > 0;
    }
}
