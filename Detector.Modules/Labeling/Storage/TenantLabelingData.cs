using Dapper;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Labeling.Contracts;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>
/// A tenant's labeling rows as a whole: the tenant erase (<see cref="ITenantLabelingData"/>), and
/// the images its items name, which the orphan sweep must keep (<see cref="IImageReferences"/>):
/// a final item is a dataset's material even after its result is gone.
/// </summary>
internal sealed class TenantLabelingData(NpgsqlDataSource dataSource) : ITenantLabelingData, IImageReferences
{
    public async Task<LabelingErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        async Task<long> Delete(string table) => await connection.ExecuteAsync(new CommandDefinition(
            $"DELETE FROM labeling.{table} WHERE tenant_id = @tenantId", new { tenantId }, transaction, cancellationToken: cancellationToken));

        var erasure = new LabelingErasure(
            Feedback: await Delete("feedback"),
            Assignments: await Delete("assignments"),
            LabelSets: await Delete("label_sets"),
            Items: await Delete("items"),
            Grants: await Delete("grants"),
            Disagreements: await Delete("disagreements"));
        await transaction.CommitAsync(cancellationToken);
        return erasure;
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT tenant_id FROM labeling.feedback UNION SELECT tenant_id FROM labeling.items
            UNION SELECT tenant_id FROM labeling.grants UNION SELECT tenant_id FROM labeling.disagreements
            """, cancellationToken: cancellationToken))).AsList();
    }

    public async Task<IReadOnlySet<string>> HeldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var held = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT image_sha256 FROM labeling.items WHERE tenant_id = @tenantId AND image_sha256 = ANY(@sha256s::char(64)[])",
            new { tenantId, sha256s = sha256s.ToArray() }, cancellationToken: cancellationToken));
        return held.Select(h => h.Trim()).ToHashSet(StringComparer.Ordinal);
    }
}
