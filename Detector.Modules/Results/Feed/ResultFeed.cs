using System.Text.Json;
using Dapper;
using Detector.Modules.Results.Contracts;
using Npgsql;

namespace Detector.Modules.Results.Feed;

/// <summary><see cref="IResultFeed"/> over <c>results.results</c> by <c>(created_at, id)</c> (index <c>results_created_idx</c>).</summary>
internal sealed class ResultFeed(NpgsqlDataSource dataSource) : IResultFeed
{
    public async Task<IReadOnlyList<FedResult>> ReadAsync(DateTimeOffset after, DateTimeOffset until, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid TenantId, string Document)>(new CommandDefinition(
            """
            SELECT tenant_id, document::text FROM results.results
            WHERE created_at > @after AND created_at <= @until
            ORDER BY created_at, id
            LIMIT @limit
            """,
            new { after, until, limit },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new FedResult(r.TenantId, JsonSerializer.Deserialize<ResultDocument>(r.Document, ResultStore.Json)!))];
    }
}
