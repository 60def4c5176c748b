using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Labeling.Consensus;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>Where an item stands after a label set or a review: open, disputed or final.</summary>
internal sealed record ItemState(Guid Id, string State, IReadOnlyList<LabelBox>? FinalBoxes);

/// <summary>
/// <c>labeling.label_sets</c>: a labeler's boxes, consensus when the second set arrives, a
/// reviewer's decision, and the agreement marks the labelers' statistics are counted from. Each
/// runs in one transaction holding the item's row, so two sets arriving together are judged once.
/// </summary>
internal sealed class LabelSetStore(NpgsqlDataSource dataSource)
{
    public async Task<ItemState> AddLabelsAsync(ItemRef item, Guid labelerId, IReadOnlyList<LabelBox> boxes, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var state = await LockAsync(connection, transaction, item.Id, ct);
        var labeled = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM labeling.label_sets WHERE item_id = @Id AND labeler_id = @labelerId)", new { item.Id, labelerId }, transaction, cancellationToken: ct));
        if (state != "open" || labeled)
        {
            throw new DomainException(OutcomeKind.Conflict, LabelingErrors.ItemNotOpen, "Item not open for labels", "This item already has this labeler's labels or is no longer open.");
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO labeling.label_sets (item_id, labeler_id, kind, tenant_id, boxes, created_at) VALUES (@Id, @labelerId, 'label', @TenantId, @boxes::jsonb, @now);
            DELETE FROM labeling.assignments WHERE item_id = @Id AND labeler_id = @labelerId;
            """, new { item.Id, labelerId, item.TenantId, boxes = LabelingJson.Write(boxes), now }, transaction, cancellationToken: ct));
        var sets = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT boxes::text FROM labeling.label_sets WHERE item_id = @Id AND kind = 'label' ORDER BY created_at, labeler_id", new { item.Id }, transaction, cancellationToken: ct))).AsList();
        var result = new ItemState(item.Id, "open", null);
        if (sets.Count >= 2)
        {
            var decided = BoxConsensus.Decide(LabelingJson.Read<List<LabelBox>>(sets[0]), LabelingJson.Read<List<LabelBox>>(sets[1]));
            result = new ItemState(item.Id, decided.Agreed ? "final" : "disputed", decided.FinalBoxes);
            await connection.ExecuteAsync(new CommandDefinition(
                """
                UPDATE labeling.label_sets SET agreed = @Agreed WHERE item_id = @Id AND kind = 'label';
                UPDATE labeling.items SET state = @State, final_boxes = @final::jsonb, final_at = CASE WHEN @Agreed THEN @now END, updated_at = @now WHERE id = @Id;
                DELETE FROM labeling.assignments WHERE item_id = @Id;
                """,
                new { item.Id, decided.Agreed, result.State, final = decided.FinalBoxes is null ? null : LabelingJson.Write(decided.FinalBoxes), now },
                transaction, cancellationToken: ct));
            LabelingMetrics.Settled.WithLabels(decided.Agreed ? "agreed" : "disputed").Inc();
        }

        await transaction.CommitAsync(ct);
        return result;
    }

    public async Task<ItemState> AddReviewAsync(ItemRef item, Guid reviewerId, IReadOnlyList<LabelBox> boxes, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        if (await LockAsync(connection, transaction, item.Id, ct) != "disputed")
        {
            throw new DomainException(OutcomeKind.Conflict, LabelingErrors.ItemNotDisputed, "Item not disputed", "Only a disputed item is reviewed.");
        }

        var sets = await connection.QueryAsync<(Guid Labeler, string Boxes)>(new CommandDefinition(
            "SELECT labeler_id, boxes::text FROM labeling.label_sets WHERE item_id = @Id AND kind = 'label'", new { item.Id }, transaction, cancellationToken: ct));
        foreach (var (labeler, setBoxes) in sets)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE labeling.label_sets SET matches_final = @matches WHERE item_id = @Id AND labeler_id = @labeler AND kind = 'label'",
                new { item.Id, labeler, matches = BoxConsensus.Agrees(LabelingJson.Read<List<LabelBox>>(setBoxes), boxes) }, transaction, cancellationToken: ct));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO labeling.label_sets (item_id, labeler_id, kind, tenant_id, boxes, created_at) VALUES (@Id, @reviewerId, 'review', @TenantId, @boxes::jsonb, @now);
            UPDATE labeling.items SET state = 'final', final_boxes = @boxes::jsonb, final_at = @now, updated_at = @now WHERE id = @Id;
            """, new { item.Id, reviewerId, item.TenantId, boxes = LabelingJson.Write(boxes), now }, transaction, cancellationToken: ct));
        await transaction.CommitAsync(ct);
        LabelingMetrics.Settled.WithLabels("reviewed").Inc();
        return new ItemState(item.Id, "final", boxes);
    }

    private static async Task<string?> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(
            "SELECT state FROM labeling.items WHERE id = @id FOR UPDATE", new { id }, transaction, cancellationToken: ct));
}
