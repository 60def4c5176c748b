using Dapper;
using Detector.Modules.Rollouts.Contracts;
using Npgsql;

namespace Detector.Modules.Labeling.Storage;

/// <summary>
/// <c>labeling.disagreements</c>: the Rollouts module's off-path comparisons that disagreed on a
/// tenant's photo (<see cref="IShadowDisagreements"/>), kept for the sampler to match by tenant,
/// model and image sha256 (the comparison sees the bytes the store keeps, so the hashes are equal).
/// </summary>
internal sealed class DisagreementStore(NpgsqlDataSource dataSource) : IShadowDisagreements
{
    public async Task RecordAsync(ShadowDisagreement d, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(d);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO labeling.disagreements (id, tenant_id, model_name, production_version, candidate_version, image_sha256, agreement, created_at)
            VALUES (@id, @TenantId, @Model, @ProductionVersion, @CandidateVersion, @ImageSha256, @Agreement, @At)
            """,
            new { id = Guid.NewGuid(), d.TenantId, d.Model, d.ProductionVersion, d.CandidateVersion, d.ImageSha256, d.Agreement, d.At },
            cancellationToken: cancellationToken));
    }

    /// <summary>Which of the (tenant, model, image) keys have a recorded disagreement.</summary>
    public async Task<HashSet<(Guid Tenant, string Model, string Sha256)>> MatchingAsync(IReadOnlyCollection<(Guid Tenant, string Model, string Sha256)> keys, CancellationToken ct)
    {
        if (keys.Count == 0)
        {
            return [];
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid, string, string)>(new CommandDefinition(
            """
            SELECT DISTINCT tenant_id, model_name, image_sha256 FROM labeling.disagreements
            WHERE (tenant_id, image_sha256) IN (SELECT * FROM unnest(@tenants, @images::char(64)[]))
            """,
            new { tenants = keys.Select(k => k.Tenant).ToArray(), images = keys.Select(k => k.Sha256).ToArray() },
            cancellationToken: ct));
        return [.. rows.Select(r => (r.Item1, r.Item2, r.Item3.Trim()))];
    }

    public async Task PruneAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM labeling.disagreements WHERE created_at < @before", new { before }, cancellationToken: ct));
    }
}
