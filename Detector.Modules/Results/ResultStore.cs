using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Results.Contracts;
using Npgsql;

namespace Detector.Modules.Results;

internal sealed class ResultStore(NpgsqlDataSource dataSource, IEnumerable<IResultDeletionListener> listeners) : IResultStore
{
    private readonly IResultDeletionListener[] _listeners = [.. listeners];

    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public async Task SaveAsync(Guid tenantId, ResultDocument result, Guid? createdByKey, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO results.results
                (id, tenant_id, created_at, source, model_name, model_version, image_sha256, image_width, image_height, image_storage, document, created_by_key)
            VALUES (@Id, @TenantId, @CreatedAt, @Source, @ModelName, @ModelVersion, @Sha256, @Width, @Height, @Storage, @Document::jsonb, @CreatedByKey)
            ON CONFLICT (id) DO NOTHING
            """,
            new
            {
                result.Id,
                TenantId = tenantId,
                result.CreatedAt,
                result.Source,
                ModelName = result.Model.Name,
                ModelVersion = result.Model.Version,
                result.Image.Sha256,
                result.Image.Width,
                result.Image.Height,
                result.Image.Storage,
                Document = JsonSerializer.Serialize(result, Json),
                CreatedByKey = createdByKey,
            },
            cancellationToken: cancellationToken));
    }

    public async Task<bool> DeleteAsync(Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var image = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "DELETE FROM results.results WHERE tenant_id = @tenantId AND id = @id RETURNING image_sha256",
            new { tenantId, id },
            cancellationToken: cancellationToken));
        if (image is null)
        {
            return false;
        }

        Deleted(tenantId, [id], [image.Trim()]);
        return true;
    }

    public async Task<ResultsPurge> PurgeAsync(Guid tenantId, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One bounded batch per call, through the (tenant_id, created_at, id) index.
        var rows = (await connection.QueryAsync<(Guid Id, string Sha256)>(new CommandDefinition(
            """
            DELETE FROM results.results WHERE id IN (
                SELECT id FROM results.results
                WHERE tenant_id = @tenantId AND created_at < @cutoff
                ORDER BY created_at, id LIMIT @limit)
            RETURNING id, image_sha256
            """,
            new { tenantId, cutoff, limit },
            cancellationToken: cancellationToken))).AsList();
        var purge = new ResultsPurge(rows.Select(r => r.Id).ToList(), rows.Select(r => r.Sha256.Trim()).ToList());
        Deleted(tenantId, purge.ResultIds, purge.Images);
        return purge;
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT DISTINCT tenant_id FROM results.results", cancellationToken: cancellationToken))).AsList();
    }

    public async Task<long> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var erased = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM results.results WHERE tenant_id = @tenantId", new { tenantId }, cancellationToken: cancellationToken));
        foreach (var listener in _listeners)
        {
            listener.TenantErased(tenantId);
        }

        return erased;
    }

    public async Task<bool> HasResultOnImageAsync(Guid tenantId, string sha256, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            SELECT EXISTS (SELECT 1 FROM results.results WHERE image_sha256 = @sha256::char(64) AND tenant_id = @tenantId)
            """,
            new { tenantId, sha256 },
            cancellationToken: cancellationToken));
    }

    public async Task<bool> ReferencesImageAsync(Guid tenantId, string sha256, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            // A result whose image was not stored does not hold one that exists anyway (a put that
            // finished after its instance was given up on).
            """
            SELECT EXISTS (SELECT 1 FROM results.results
                           WHERE image_sha256 = @sha256::char(64) AND tenant_id = @tenantId AND image_storage IS DISTINCT FROM 'not_stored')
            """,
            new { tenantId, sha256 },
            cancellationToken: cancellationToken));
    }

    public Task<ResultDocument?> GetAsync(Guid tenantId, Guid id, CancellationToken cancellationToken) => GetAsync(tenantId, id, null, cancellationToken);

    public async Task<ResultDocument?> GetAsync(Guid tenantId, Guid id, Guid? createdByKey, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var json = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            """
            SELECT document::text FROM results.results
            WHERE tenant_id = @tenantId AND id = @id AND (@createdByKey::uuid IS NULL OR created_by_key = @createdByKey)
            """, new { tenantId, id, createdByKey }, cancellationToken: cancellationToken));
        return json is null ? null : JsonSerializer.Deserialize<ResultDocument>(json, Json);
    }

    public async Task<IReadOnlyDictionary<Guid, ResultDocument>> GetManyAsync(Guid tenantId, IReadOnlyCollection<Guid> ids, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid Id, string Document)>(new CommandDefinition(
            """
            SELECT id, document::text FROM results.results WHERE tenant_id = @tenantId AND id = ANY(@ids)
            """, new { tenantId, ids = ids.ToArray() }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, r => JsonSerializer.Deserialize<ResultDocument>(r.Document, Json)!);
    }

    public async Task<ResultPage> ListAsync(Guid tenantId, int limit, string? cursor, CancellationToken cancellationToken)
    {
        var (afterTime, afterId) = cursor is null ? (DateTimeOffset.MaxValue, Guid.Empty) : DecodeCursor(cursor);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<(DateTime CreatedAt, Guid Id, string Document)>(new CommandDefinition(
            """
            SELECT created_at, id, document::text FROM results.results
            WHERE tenant_id = @tenantId
              AND (@first OR (created_at, id) < (@afterTime, @afterId))
            ORDER BY created_at DESC, id DESC
            LIMIT @take
            """,
            new { tenantId, first = cursor is null, afterTime = afterTime.UtcDateTime, afterId, take = limit + 1 },
            cancellationToken: cancellationToken))).ToList();

        var items = new List<ResultDocument>(Math.Min(rows.Count, limit));
        for (var i = 0; i < rows.Count && i < limit; i++)
        {
            items.Add(JsonSerializer.Deserialize<ResultDocument>(rows[i].Document, Json)!);
        }

        var next = rows.Count > limit ? EncodeCursor(rows[limit - 1].CreatedAt, rows[limit - 1].Id) : null;
        return new ResultPage(items, next);
    }

    // The cursor is opaque to clients: the (created_at, id) of the last row served, so pages stay
    // stable while new results arrive.
    internal static string EncodeCursor(DateTime createdAt, Guid id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{createdAt.ToUniversalTime().Ticks}:{id:N}"));

    internal static (DateTimeOffset, Guid) DecodeCursor(string cursor)
    {
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var parts = text.Split(':');
            if (parts.Length == 2 && long.TryParse(parts[0], System.Globalization.CultureInfo.InvariantCulture, out var ticks)
                && ticks > 0 && ticks < DateTime.MaxValue.Ticks && Guid.TryParseExact(parts[1], "N", out var id))
            {
                return (new DateTimeOffset(ticks, TimeSpan.Zero), id);
            }
        }
        catch (FormatException)
        {
        }

        throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.InvalidCursor, "Invalid cursor", "The cursor is not one this API returned.");
    }

    private void Deleted(Guid tenantId, IReadOnlyCollection<Guid> resultIds, IReadOnlyCollection<string> images)
    {
        if (resultIds.Count == 0)
        {
            return;
        }

        foreach (var listener in _listeners)
        {
            listener.ResultsDeleted(tenantId, resultIds, images);
        }
    }
}
