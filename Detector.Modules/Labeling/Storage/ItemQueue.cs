using Dapper;
using Detector.Modules.Labeling.Consensus;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>A model detection offered to labelers as a starting point, in image pixels.</summary>
internal sealed record Suggestion(string Label, float Score, double X, double Y, double Width, double Height);

/// <summary>A result the sampler enqueues.</summary>
internal sealed record NewItem(Guid Id, Guid TenantId, Guid ResultId, string ImageSha256, int Width, int Height, string Model, string Version, string Strategy, IReadOnlyList<Suggestion> Suggestions);

/// <summary>What a labeler gets to label.</summary>
internal sealed record ItemCard(Guid Id, string ImageUrl, int Width, int Height, IReadOnlyList<Suggestion> Suggestions);

/// <summary>What a reviewer gets to decide: the item and both labelers' boxes.</summary>
internal sealed record ReviewCard(Guid Id, string ImageUrl, int Width, int Height, IReadOnlyList<Suggestion> Suggestions, IReadOnlyList<IReadOnlyList<LabelBox>> LabelSets);

/// <summary>An item as the label and review use cases check it.</summary>
internal sealed record ItemRef(Guid Id, Guid TenantId, string ImageSha256, int Width, int Height, string Model, string Version, string State);

/// <summary>
/// <c>labeling.items</c> and <c>labeling.assignments</c>: enqueueing, handing items out, and who
/// may see an item. A labeler sees only items of tenants that granted it (every query joins
/// <c>labeling.grants</c>); another tenant's item answers as a missing one.
/// </summary>
internal sealed class ItemQueue(NpgsqlDataSource dataSource)
{
    private const string ItemColumns = "i.id, i.tenant_id AS TenantId, i.image_sha256 AS ImageSha256, i.width, i.height, i.model_name AS Model, i.model_version AS Version, i.state";

    private sealed record CardRow(Guid Id, int Width, int Height, string Suggestions);

    public static string ImageUrl(Guid itemId) => $"/v1/labeling/items/{itemId}/image";

    /// <summary>
    /// Enqueues the items, in one statement, except those whose result already has one (the first
    /// of the batch wins for a result named twice); returns the strategies of the items added.
    /// </summary>
    public static async Task<IReadOnlyList<string>> EnqueueAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<NewItem> items, DateTimeOffset now, CancellationToken ct)
    {
        if (items.Count == 0)
        {
            return [];
        }

        var added = await connection.QueryAsync<string>(new CommandDefinition(
            """
            INSERT INTO labeling.items (id, tenant_id, result_id, image_sha256, width, height, model_name, model_version, strategy, suggestions, state, created_at, updated_at)
            SELECT id, tenant_id, result_id, image_sha256, width, height, model_name, model_version, strategy, suggestions::jsonb, 'open', @now, @now
            FROM unnest(@ids, @tenantIds, @resultIds, @images, @widths, @heights, @models, @versions, @strategies, @suggestions)
                WITH ORDINALITY AS n(id, tenant_id, result_id, image_sha256, width, height, model_name, model_version, strategy, suggestions, position)
            ORDER BY position
            ON CONFLICT (result_id) DO NOTHING
            RETURNING strategy
            """,
            new
            {
                ids = items.Select(i => i.Id).ToArray(),
                tenantIds = items.Select(i => i.TenantId).ToArray(),
                resultIds = items.Select(i => i.ResultId).ToArray(),
                images = items.Select(i => i.ImageSha256).ToArray(),
                widths = items.Select(i => i.Width).ToArray(),
                heights = items.Select(i => i.Height).ToArray(),
                models = items.Select(i => i.Model).ToArray(),
                versions = items.Select(i => i.Version).ToArray(),
                strategies = items.Select(i => i.Strategy).ToArray(),
                suggestions = items.Select(i => LabelingJson.Write(i.Suggestions)).ToArray(),
                now,
            },
            transaction, cancellationToken: ct));
        return added.AsList();
    }

    /// <summary>Items enqueued since <paramref name="dayStart"/> per tenant and strategy, for the daily caps.</summary>
    public static async Task<Dictionary<(Guid Tenant, string Strategy), int>> CountsSinceAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyCollection<Guid> tenants, DateTimeOffset dayStart, CancellationToken ct)
    {
        var rows = await connection.QueryAsync<(Guid Tenant, string Strategy, long Count)>(new CommandDefinition(
            """
            SELECT tenant_id, strategy, count(*) FROM labeling.items
            WHERE tenant_id = ANY(@tenants) AND created_at >= @dayStart GROUP BY tenant_id, strategy
            """, new { tenants = tenants.ToArray(), dayStart }, transaction, cancellationToken: ct));
        return rows.ToDictionary(r => (r.Tenant, r.Strategy), r => (int)r.Count);
    }

    /// <summary>
    /// Assigns the labeler the next open item of a tenant that granted it, which it has not labeled
    /// and which has fewer than two label sets and live assignments of others together (its own
    /// live assignment first: asking again gives the same item). Null when there is none.
    /// </summary>
    public async Task<ItemCard?> AssignNextAsync(Guid labelerId, DateTimeOffset now, DateTimeOffset expires, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CardRow>(new CommandDefinition(
            """
            SELECT i.id, i.width, i.height, i.suggestions::text AS Suggestions
            FROM labeling.items i
            JOIN labeling.grants g ON g.tenant_id = i.tenant_id AND g.labeler_id = @labelerId
            WHERE i.state = 'open'
              AND NOT EXISTS (SELECT 1 FROM labeling.label_sets s WHERE s.item_id = i.id AND s.labeler_id = @labelerId)
              AND (SELECT count(*) FROM labeling.label_sets s WHERE s.item_id = i.id AND s.kind = 'label')
                + (SELECT count(*) FROM labeling.assignments a WHERE a.item_id = i.id AND a.labeler_id <> @labelerId AND a.expires_at > @now) < 2
            ORDER BY EXISTS (SELECT 1 FROM labeling.assignments a WHERE a.item_id = i.id AND a.labeler_id = @labelerId AND a.expires_at > @now) DESC,
                     i.created_at, i.id
            LIMIT 1
            FOR UPDATE OF i SKIP LOCKED
            """, new { labelerId, now }, transaction, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO labeling.assignments (item_id, labeler_id, tenant_id, expires_at)
            SELECT id, @labelerId, tenant_id, @expires FROM labeling.items WHERE id = @id
            ON CONFLICT (item_id, labeler_id) DO UPDATE SET expires_at = excluded.expires_at
            """, new { row.Id, labelerId, expires }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        return new ItemCard(row.Id, ImageUrl(row.Id), row.Width, row.Height, LabelingJson.Read<List<Suggestion>>(row.Suggestions));
    }

    /// <summary>The item, when the labeler holds a live assignment of it (or is a reviewer, when <paramref name="asReviewer"/>) and its tenant granted it.</summary>
    public async Task<ItemRef?> FindVisibleAsync(Guid labelerId, Guid itemId, bool asReviewer, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<ItemRef>(new CommandDefinition(
            $"""
            SELECT {ItemColumns}
            FROM labeling.items i
            JOIN labeling.grants g ON g.tenant_id = i.tenant_id AND g.labeler_id = @labelerId
            WHERE i.id = @itemId
              AND (@asReviewer OR EXISTS (SELECT 1 FROM labeling.assignments a WHERE a.item_id = i.id AND a.labeler_id = @labelerId AND a.expires_at > @now))
            """, new { labelerId, itemId, asReviewer, now }, cancellationToken: ct));
    }

    /// <summary>The oldest disputed item with both label sets of a tenant that granted the reviewer, which the reviewer did not label itself.</summary>
    public async Task<ReviewCard?> NextReviewAsync(Guid reviewerId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<CardRow>(new CommandDefinition(
            """
            SELECT i.id, i.width, i.height, i.suggestions::text AS Suggestions
            FROM labeling.items i
            JOIN labeling.grants g ON g.tenant_id = i.tenant_id AND g.labeler_id = @reviewerId
            WHERE i.state = 'disputed'
              AND NOT EXISTS (SELECT 1 FROM labeling.label_sets s WHERE s.item_id = i.id AND s.labeler_id = @reviewerId)
              AND (SELECT count(*) FROM labeling.label_sets s WHERE s.item_id = i.id AND s.kind = 'label') = 2
            ORDER BY i.updated_at, i.id
            LIMIT 1
            """, new { reviewerId }, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        var sets = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT boxes::text FROM labeling.label_sets WHERE item_id = @id AND kind = 'label' ORDER BY created_at, labeler_id",
            new { row.Id }, cancellationToken: ct));
        return new ReviewCard(row.Id, ImageUrl(row.Id), row.Width, row.Height, LabelingJson.Read<List<Suggestion>>(row.Suggestions),
            [.. sets.Select(s => (IReadOnlyList<LabelBox>)LabelingJson.Read<List<LabelBox>>(s))]);
    }
}
