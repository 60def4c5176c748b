using Dapper;
using Detector.Modules.Images.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Images.Storage;

/// <summary>
/// Removes images nothing names any more (issue 20): a deleted result's, a cancelled put's, what a
/// failed result save or a refused job submission left. An image goes when no put touched it for
/// <see cref="ImageStoreOptions.OrphanGraceMinutes"/> and no <see cref="IImageReferences"/> (results,
/// job items) names it. Deciding and deleting happen while the sweep holds the image's index row
/// lock (<c>images.stored</c>), which a put of the same bytes by the same tenant takes to touch
/// the row: a put either touched it before (the row is then too fresh to sweep) or waits until
/// the image is gone and stores it anew, so a result saved after a put never names a removed image.
/// One instance sweeps at a time (a session advisory lock); the others skip the round.
/// </summary>
internal sealed partial class OrphanSweep(
    NpgsqlDataSource dataSource,
    IImageBackend backend,
    IEnumerable<IImageReferences> references,
    TimeProvider time,
    IOptions<ImageStoreOptions> options,
    ILogger<OrphanSweep> logger) : BackgroundService
{
    private const long SweepLockKey = 0x494D474F5250484E; // 'IMGORPHN'
    private readonly IReadOnlyList<IImageReferences> _references = [.. references];

    /// <summary>One round over every image past the grace period; returns how many were removed (0 when another instance is sweeping).</summary>
    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        if (_references.Count == 0)
        {
            // A host without the modules that name images (a tool, a test host) would take every image for an orphan.
            LogNoReferences(logger);
            return 0;
        }

        await using var session = await dataSource.OpenConnectionAsync(cancellationToken);
        if (!await session.ExecuteScalarAsync<bool>(new CommandDefinition("SELECT pg_try_advisory_lock(@key)", new { key = SweepLockKey }, cancellationToken: cancellationToken)))
        {
            return 0;
        }

        try
        {
            var cutoff = time.GetUtcNow().AddMinutes(-options.Value.OrphanGraceMinutes);
            var removed = 0;
            ImageKey? after = new ImageKey(Guid.Empty, "");
            while (after is { } from)
            {
                (var batch, after) = await SweepBatchAsync(cutoff, from, cancellationToken);
                removed += batch;
            }

            if (removed > 0)
            {
                ImagesMetrics.Deleted.WithLabels(backend.Name).Inc(removed);
                LogRemoved(logger, removed, backend.Name);
            }

            return removed;
        }
        finally
        {
            await session.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_unlock(@key)", new { key = SweepLockKey }, cancellationToken: CancellationToken.None));
        }
    }

    /// <summary>One transaction: locks a page of index rows past the cutoff, asks the holders, removes the unheld. Returns the last row seen (null: done).</summary>
    private async Task<(int Removed, ImageKey? Last)> SweepBatchAsync(DateTimeOffset cutoff, ImageKey after, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // FOR UPDATE re-checks touched_at on the row as it is when locked, so a put that touched it
        // since the page was read keeps it; a row a put is touching right now is skipped this round.
        var rows = (await connection.QueryAsync<(Guid Tenant, string Sha256)>(new CommandDefinition(
            """
            SELECT tenant_id, sha256 FROM images.stored
            WHERE touched_at < @cutoff AND (tenant_id, sha256) > (@tenant, @sha256::char(64))
            ORDER BY tenant_id, sha256
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """,
            new { cutoff, tenant = after.Tenant, sha256 = after.Sha256, limit = options.Value.OrphanSweepBatchSize },
            tx,
            cancellationToken: ct))).AsList();
        if (rows.Count == 0)
        {
            return (0, null);
        }

        var orphans = new List<ImageKey>();
        foreach (var tenant in rows.GroupBy(r => r.Tenant))
        {
            var sha256s = tenant.Select(r => r.Sha256).ToList();
            var held = new HashSet<string>(StringComparer.Ordinal);
            foreach (var holder in _references)
            {
                held.UnionWith(await holder.HeldAsync(tenant.Key, sha256s, ct));
            }

            orphans.AddRange(sha256s.Where(s => !held.Contains(s)).Select(s => new ImageKey(tenant.Key, s)));
        }

        foreach (var key in orphans)
        {
            await backend.DeleteAsync(key, ct);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM images.stored s USING unnest(@tenants, @sha256s) AS o(tenant_id, sha256) WHERE s.tenant_id = o.tenant_id AND s.sha256 = o.sha256::char(64)",
            new { tenants = orphans.Select(k => k.Tenant).ToArray(), sha256s = orphans.Select(k => k.Sha256).ToArray() },
            tx,
            cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (orphans.Count, new ImageKey(rows[^1].Tenant, rows[^1].Sha256));
    }

    // The store or the database may be down for a moment; the next round tries again.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => Common.PeriodicRounds.RunAsync(
        TimeSpan.FromMinutes(options.Value.OrphanSweepIntervalMinutes), time, SweepOnceAsync, ex => LogFailed(logger, backend.Name, ex), stoppingToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed {Count} image(s) nothing names any more from the {Backend} image store")]
    private static partial void LogRemoved(ILogger logger, int count, string backend);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sweeping the {Backend} image store for images nothing names failed")]
    private static partial void LogFailed(ILogger logger, string backend, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "No module names stored images in this host: the orphan image sweep does nothing")]
    private static partial void LogNoReferences(ILogger logger);
}
