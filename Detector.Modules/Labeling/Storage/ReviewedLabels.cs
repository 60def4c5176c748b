using Dapper;
using Detector.Modules.Labeling.Consensus;
using Detector.Modules.Labeling.Contracts;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary><see cref="IReviewedLabels"/> over the final items, in the order they became final.</summary>
internal sealed class ReviewedLabels(NpgsqlDataSource dataSource) : IReviewedLabels
{
    private sealed record Row(Guid Id, Guid TenantId, string ImageSha256, int Width, int Height, string FinalBoxes, DateTime FinalAt);

    public async Task<IReadOnlyList<ReviewedImage>> ListAsync(DateTimeOffset? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT id, tenant_id AS TenantId, image_sha256 AS ImageSha256, width, height, final_boxes::text AS FinalBoxes, final_at AS FinalAt
            FROM labeling.items
            WHERE state = 'final' AND (@first OR final_at > @after)
            ORDER BY final_at, id
            LIMIT @limit
            """,
            new { first = after is null, after = after ?? DateTimeOffset.UnixEpoch, limit },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new ReviewedImage(
            r.Id, r.TenantId, r.ImageSha256, r.Width, r.Height,
            [.. LabelingJson.Read<List<LabelBox>>(r.FinalBoxes).Select(b => new ReviewedBox(b.Label, b.X, b.Y, b.Width, b.Height))],
            new DateTimeOffset(r.FinalAt, TimeSpan.Zero)))];
    }
}
