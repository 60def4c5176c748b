using System.Globalization;
using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>
/// Removes Hangfire jobs outright, from Hangfire's own tables (its Delete only moves a job to the
/// Deleted state, where its arguments, which name tenants and jobs, stay until it expires).
/// </summary>
internal sealed class HangfireRows(NpgsqlDataSource dataSource, IOptions<HangfireSettings> hangfire)
{
    /// <summary>Deletes the jobs (queue entries, set and list members, the job with its state history and parameters by cascade).</summary>
    public static Task DeleteAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string schema, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        var quoted = "\"" + schema.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
        return connection.ExecuteAsync(new CommandDefinition(
            $"""
            DELETE FROM {quoted}.jobqueue WHERE jobid = ANY(@ids);
            DELETE FROM {quoted}.set WHERE value = ANY(@texts);
            DELETE FROM {quoted}.list WHERE value = ANY(@texts);
            DELETE FROM {quoted}.job WHERE id = ANY(@ids);
            """,
            new { ids = ids.ToArray(), texts = ids.Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray() },
            tx,
            cancellationToken: ct));
    }

    /// <summary>Deletes Hangfire jobs by the ids the client returned.</summary>
    public async Task DeleteAsync(IEnumerable<string> hangfireIds, CancellationToken ct)
    {
        var ids = hangfireIds.Select(id => long.Parse(id, CultureInfo.InvariantCulture)).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await DeleteAsync(connection, null, hangfire.Value.Schema, ids, ct);
    }
}
