using Dapper;
using Detector.Modules.Results.Contracts;
using Npgsql;

namespace Detector.Modules.Results.PendingImages;

/// <summary>
/// Settles results' image storage in the column the sweep reads and in the document the API
/// serves, in one statement, and only from <c>pending</c>: a write that finishes after the sweep
/// gave up on it (or after the result was deleted) changes nothing, and its caller removes what
/// it wrote.
/// </summary>
internal sealed class ResultImageStorage(NpgsqlDataSource dataSource) : IResultImageStorage
{
    public async Task<bool> SettleAsync(Guid tenantId, Guid resultId, ImageStorage storage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(storage);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE results.results
            SET image_storage = @State,
                document = jsonb_set(jsonb_set(document, '{image,storage}', to_jsonb(@State::text)),
                                     '{image,not_stored_reason}', coalesce(to_jsonb(@Reason::text), 'null'::jsonb))
            WHERE tenant_id = @tenantId AND id = @resultId AND image_storage = 'pending'
            """,
            new { tenantId, resultId, storage.State, storage.Reason },
            cancellationToken: cancellationToken)) == 1;
    }

    public async Task<IReadOnlyList<InterruptedImage>> InterruptStaleAsync(DateTimeOffset createdBefore, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid TenantId, Guid Id, string Sha256)>(new CommandDefinition(
            """
            UPDATE results.results
            SET image_storage = 'not_stored',
                document = jsonb_set(jsonb_set(document, '{image,storage}', '"not_stored"'),
                                     '{image,not_stored_reason}', to_jsonb(@Reason::text))
            WHERE id IN (
                SELECT id FROM results.results
                WHERE image_storage = 'pending' AND created_at < @createdBefore
                ORDER BY created_at
                LIMIT @limit
                FOR UPDATE SKIP LOCKED)
            RETURNING tenant_id, id, image_sha256
            """,
            new { createdBefore, limit, ImageStorage.Interrupted.Reason },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new InterruptedImage(r.TenantId, r.Id, r.Sha256.Trim()))];
    }
}
