using System.Text.Json;
using Dapper;
using Detector.Modules.Models.Contracts;
using Npgsql;

namespace Detector.Modules.Models.Registry;

/// <summary>A version's stored metrics (one query; the catalog's snapshots leave them out: nothing that serves reads them).</summary>
internal sealed class VersionMetadata(NpgsqlDataSource dataSource) : IModelVersionMetadata
{
    public async Task<JsonElement?> MetricsAsync(string model, string version, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var metrics = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT metrics::text FROM models.versions WHERE model = @model AND version = @version", new { model, version }, cancellationToken: ct));
        if (metrics is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(metrics);
        return document.RootElement.Clone();
    }
}
