using Dapper;
using Detector.Modules.Jobs.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>
/// Erasure and retention of a tenant's job data. Hangfire's tables are this module's to clean
/// too: a job's arguments carry the tenant and job ids, and its state history may quote them.
/// </summary>
internal sealed class TenantJobData(NpgsqlDataSource dataSource, UnusedImages unused, IOptions<HangfireSettings> hangfire) : ITenantJobData
{
    public async Task<TenantJobsErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var schema = QuoteIdentifier(hangfire.Value.Schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var counts = await connection.QuerySingleAsync<(long Jobs, long Items, long Attempts)>(new CommandDefinition(
            """
            SELECT count(*),
                   coalesce(sum((SELECT count(*) FROM jobs.items i WHERE i.job_id = j.id)), 0)::bigint,
                   coalesce(sum((SELECT count(*) FROM jobs.webhook_attempts a WHERE a.job_id = j.id)), 0)::bigint
            FROM jobs.jobs j WHERE j.tenant_id = @tenantId
            """, new { tenantId }, tx, cancellationToken: cancellationToken));

        // Hangfire jobs whose arguments name the tenant (every job this module enqueues for a
        // tenant's work carries its id) or one of its jobs (webhook deliveries carry the job id).
        var hangfireIds = (await connection.QueryAsync<long>(new CommandDefinition(
            $"""
            SELECT h.id FROM {schema}.job h
            WHERE strpos(h.arguments::text, @tenant) > 0
            UNION
            SELECT h.id FROM {schema}.job h
            JOIN jobs.jobs j ON j.tenant_id = @tenantId AND h.arguments::jsonb ->> 0 = '"' || j.id::text || '"'
            """, new { tenantId, tenant = tenantId.ToString() }, tx, cancellationToken: cancellationToken))).AsList();
        var ids = hangfireIds.ToArray();
        var texts = hangfireIds.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        await connection.ExecuteAsync(new CommandDefinition(
            $"""
            DELETE FROM {schema}.jobqueue WHERE jobid = ANY(@ids);
            DELETE FROM {schema}.set WHERE value = ANY(@texts);
            DELETE FROM {schema}.list WHERE value = ANY(@texts);
            DELETE FROM {schema}.job WHERE id = ANY(@ids);
            """, new { ids, texts }, tx, cancellationToken: cancellationToken));

        // Items and webhook attempts go with their jobs, by cascade.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs.jobs WHERE tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: cancellationToken));
        var secrets = await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs.webhook_secrets WHERE tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new TenantJobsErasure(counts.Jobs, counts.Items, counts.Attempts, secrets, hangfireIds.Count);
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT tenant_id FROM jobs.jobs UNION SELECT tenant_id FROM jobs.webhook_secrets", cancellationToken: cancellationToken))).AsList();
    }

    public async Task<JobsPurge> PurgeAsync(Guid tenantId, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var jobIds = (await connection.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT id FROM jobs.jobs
            WHERE tenant_id = @tenantId AND created_at < @cutoff
              AND status IN ('succeeded', 'partially_failed', 'failed', 'cancelled')
            ORDER BY created_at LIMIT @limit FOR UPDATE SKIP LOCKED
            """, new { tenantId, cutoff, limit }, tx, cancellationToken: cancellationToken))).ToArray();
        if (jobIds.Length == 0)
        {
            return new JobsPurge(0, []);
        }

        var images = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT trim(image_sha256) FROM jobs.items WHERE job_id = ANY(@jobIds) AND image_sha256 IS NOT NULL",
            new { jobIds }, tx, cancellationToken: cancellationToken))).AsList();
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs.jobs WHERE id = ANY(@jobIds)", new { jobIds }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new JobsPurge(jobIds.Length, images);
    }

    public async Task<int> DeleteUnusedImagesAsync(Guid tenantId, IEnumerable<string> sha256s, CancellationToken cancellationToken) =>
        (await unused.DeleteAsync(tenantId, sha256s)).Deleted;

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
