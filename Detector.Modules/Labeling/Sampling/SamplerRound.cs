using Dapper;
using Detector.Modules.Labeling.Storage;
using Detector.Modules.Results.Contracts;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Labeling.Sampling;

/// <summary>
/// One round of the sampler: the results created since the cursor (and settled), then queued
/// feedback not yet looked at, each judged by the strategies and enqueued in one transaction with
/// the cursor's move. The cursor's row is taken with SKIP LOCKED: on several instances one round
/// runs at a time and the others skip, so no result is considered twice; the items' unique result
/// id keeps a result from being enqueued twice whatever happens.
/// </summary>
internal sealed class SamplerRound(
    NpgsqlDataSource dataSource,
    IResultFeed feed,
    IResultStore results,
    ITenantDirectory tenants,
    Candidates candidates,
    FeedbackStore feedbackStore,
    IOptions<LabelingOptions> options)
{
    /// <summary>Runs a round; false when another instance holds the cursor.</summary>
    public async Task<bool> RunAsync(DateTimeOffset now, CancellationToken ct)
    {
        var o = options.Value;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        var cursor = await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(
            "SELECT created_at FROM labeling.sampler_cursor WHERE id = 1 FOR UPDATE SKIP LOCKED", transaction: transaction, cancellationToken: ct));
        if (cursor is not { } after)
        {
            return false;
        }

        var batch = Complete(await feed.ReadAsync(new DateTimeOffset(after, TimeSpan.Zero), now.AddSeconds(-o.Sampler.SettleSeconds), o.Sampler.BatchSize, ct), o.Sampler.BatchSize);
        var fed = new List<Candidate>();
        foreach (var result in batch)
        {
            if (await StoredAsync(result.TenantId, result.Document.Image.Storage, ct))
            {
                fed.Add(Candidates.Of(result.TenantId, result.Document));
            }
        }

        fed = [.. await candidates.WithDisagreementsAsync(fed, ct)];
        var feedback = await FeedbackCandidatesAsync(ct);
        var dayStart = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        var counts = await ItemQueue.CountsSinceAsync(connection, transaction, [.. fed.Concat(feedback.Candidates).Select(c => c.TenantId).Distinct()], dayStart, ct);
        var picker = candidates.Picker(counts);
        var picked = new List<NewItem>();
        foreach (var candidate in fed.Concat(feedback.Candidates))
        {
            if (picker.Pick(candidate, observe: !candidate.HasQueuedFeedback) is { } strategy)
            {
                picked.Add(Candidates.ItemOf(candidate, strategy));
            }
        }

        foreach (var strategy in await ItemQueue.EnqueueAsync(connection, transaction, picked, now, ct))
        {
            LabelingMetrics.Enqueued.WithLabels(strategy).Inc();
        }

        if (batch.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE labeling.sampler_cursor SET created_at = @last WHERE id = 1",
                new { last = batch[^1].Document.CreatedAt }, transaction, cancellationToken: ct));
        }

        await FeedbackStore.MarkSampledAsync(connection, transaction, feedback.Ids, ct);
        await transaction.CommitAsync(ct);
        return true;
    }

    /// <summary>
    /// A full batch may end inside a run of results created at the same instant: those are left
    /// for the next round, which reads after the cursor's instant (unless the whole batch is one instant).
    /// </summary>
    internal static IReadOnlyList<FedResult> Complete(IReadOnlyList<FedResult> batch, int limit)
    {
        if (batch.Count < limit)
        {
            return batch;
        }

        var last = batch[^1].Document.CreatedAt;
        var kept = batch.Where(r => r.Document.CreatedAt < last).ToList();
        return kept.Count > 0 ? kept : batch;
    }

    private async Task<bool> StoredAsync(Guid tenantId, string? storage, CancellationToken ct) =>
        storage == ImageStorage.StoredState && await tenants.FindAsync(tenantId, ct) is { Plan.StoreImages: true };

    private async Task<(List<Candidate> Candidates, List<Guid> Ids)> FeedbackCandidatesAsync(CancellationToken ct)
    {
        var pending = await feedbackStore.UnsampledAsync(options.Value.Sampler.BatchSize, ct);
        var found = new List<Candidate>();
        foreach (var byTenant in pending.GroupBy(f => f.TenantId))
        {
            var docs = await results.GetManyAsync(byTenant.Key, [.. byTenant.Select(f => f.ResultId).Distinct()], ct);
            foreach (var doc in docs.Values)
            {
                if (doc.Image.Storage == ImageStorage.StoredState)
                {
                    found.Add(Candidates.Of(byTenant.Key, doc) with { HasQueuedFeedback = true });
                }
            }
        }

        return (found, [.. pending.Select(f => f.Id)]);
    }
}
