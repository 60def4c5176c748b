using Dapper;
using Detector.Modules.Images.Contracts;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>
/// A job item names its uploaded image until its job is erased or purged by retention, whatever
/// the item's state (its result may be read, and the item retried, until then).
/// </summary>
internal sealed class JobImageReferences(NpgsqlDataSource dataSource) : IImageReferences
{
    public async Task<IReadOnlySet<string>> HeldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var held = await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT DISTINCT i.image_sha256 FROM jobs.items i JOIN jobs.jobs j ON j.id = i.job_id
            WHERE i.image_sha256 = ANY(@sha256s::char(64)[]) AND j.tenant_id = @tenantId
            """,
            new { tenantId, sha256s = sha256s.ToArray() },
            cancellationToken: cancellationToken));
        return held.Select(s => s.Trim()).ToHashSet(StringComparer.Ordinal);
    }
}
