using Dapper;
using Detector.Modules.Images.Contracts;
using Npgsql;

namespace Detector.Modules.Results.ImageReferences;

/// <summary>
/// A result names the image it was detected on: the image stays while any result of the tenant
/// does, unless that result says its image was not stored (ADR 0016).
/// </summary>
internal sealed class ResultImageReferences(NpgsqlDataSource dataSource) : IImageReferences
{
    public async Task<IReadOnlySet<string>> HeldAsync(Guid tenantId, IReadOnlyCollection<string> sha256s, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var held = await connection.QueryAsync<string>(new CommandDefinition(
            """
            SELECT DISTINCT image_sha256 FROM results.results
            WHERE image_sha256 = ANY(@sha256s::char(64)[]) AND tenant_id = @tenantId AND image_storage IS DISTINCT FROM 'not_stored'
            """,
            new { tenantId, sha256s = sha256s.ToArray() },
            cancellationToken: cancellationToken));
        return held.Select(s => s.Trim()).ToHashSet(StringComparer.Ordinal);
    }
}
