using Dapper;
using Detector.Modules.Jobs.Contracts;
using Detector.Modules.Webhooks.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Jobs.Storage;

/// <summary>
/// Erasure and retention of a tenant's job data. Hangfire's tables are this module's to clean
/// too: a job's arguments carry the tenant and job ids, and its state history may quote them.
/// </summary>
internal sealed class TenantJobData(NpgsqlDataSource dataSource, UnusedImages unused, IWebhookAttempts webhooks, IOptions<HangfireSettings> hangfire) : ITenantJobData
{
    public async Task<TenantJobsErasure> EraseTenantAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        var schema = QuoteIdentifier(hangfire.Value.Schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // The tenant's items and jobs locked first (items before jobs, the order workers take
        // them in): work that schedules a Hangfire job for one of them records its ticket under
        // this lock, so a Hangfire job made after the listing below waits and then finds its job
        // gone, and removes itself (JobDispatcher); one made before is listed and deleted here.
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT 1 FROM jobs.items WHERE job_id IN (SELECT id FROM jobs.jobs WHERE tenant_id = @tenantId) FOR UPDATE",
            new { tenantId }, tx, cancellationToken: cancellationToken));
        var jobIds = (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM jobs.jobs WHERE tenant_id = @tenantId FOR UPDATE", new { tenantId }, tx, cancellationToken: cancellationToken))).ToArray();
        var items = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM jobs.items WHERE job_id = ANY(@jobIds)", new { jobIds }, tx, cancellationToken: cancellationToken));
        // The jobs' webhook attempts are the Webhooks module's; they go with the jobs by a cascading key.
        var attempts = await webhooks.CountAsync(jobIds, cancellationToken);

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
        await HangfireRows.DeleteAsync(connection, tx, hangfire.Value.Schema, hangfireIds, cancellationToken);

        // Items and webhook attempts go with their jobs, by cascade.
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs.jobs WHERE tenant_id = @tenantId", new { tenantId }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new TenantJobsErasure(jobIds.Length, items, attempts, hangfireIds.Count);
    }

    public async Task<IReadOnlyList<Guid>> TenantIdsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT DISTINCT tenant_id FROM jobs.jobs", cancellationToken: cancellationToken))).AsList();
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
            return new JobsPurge([], []);
        }

        var images = (await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT trim(image_sha256) FROM jobs.items WHERE job_id = ANY(@jobIds) AND image_sha256 IS NOT NULL",
            new { jobIds }, tx, cancellationToken: cancellationToken))).AsList();
        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM jobs.jobs WHERE id = ANY(@jobIds)", new { jobIds }, tx, cancellationToken: cancellationToken));
        await tx.CommitAsync(cancellationToken);
        return new JobsPurge(jobIds, images);
    }

    public async Task<int> PurgeFailedBackgroundJobsAsync(Guid tenantId, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        var schema = QuoteIdentifier(hangfire.Value.Schema);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Failed is the one final state Hangfire never expires; the same match as the erase's.
        var ids = (await connection.QueryAsync<long>(new CommandDefinition(
            $"""
            SELECT h.id FROM {schema}.job h
            WHERE h.statename = 'Failed' AND h.createdat < @cutoff
              AND (strpos(h.arguments::text, @tenant) > 0
                   OR EXISTS (SELECT 1 FROM jobs.jobs j WHERE j.tenant_id = @tenantId AND h.arguments::jsonb ->> 0 = '"' || j.id::text || '"'))
            ORDER BY h.id LIMIT @limit
            FOR UPDATE OF h SKIP LOCKED
            """, new { tenantId, tenant = tenantId.ToString(), cutoff, limit }, tx, cancellationToken: cancellationToken))).AsList();
        await HangfireRows.DeleteAsync(connection, tx, hangfire.Value.Schema, ids, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        return ids.Count;
    }

    public async Task<int> DeleteUnusedImagesAsync(Guid tenantId, IEnumerable<string> sha256s, CancellationToken cancellationToken) =>
        (await unused.DeleteAsync(tenantId, sha256s)).Deleted;

    private static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
