using Detector.Modules.Jobs.Storage;
using Detector.Modules.Jobs.Webhooks;
using Hangfire;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Jobs.Processing;

/// <summary>
/// Puts job work on Hangfire (through DI, never the static API) and records each Hangfire job as
/// the ticket of the items or webhook it carries. A Hangfire job made for a job that is gone by
/// the time its ticket is recorded (its tenant was erased meanwhile: a worker or a webhook that
/// read the job before the erase reschedules after it) is removed again, so nothing naming an
/// erased tenant's job outlives the erase.
/// </summary>
internal sealed class JobDispatcher(IBackgroundJobClient client, ItemTransitions items, WebhookStore webhooks, HangfireRows hangfire, IOptions<JobsOptions> options)
{
    /// <summary>Enqueues the items [0, total) in chunks of ChunkSize.</summary>
    public Task EnqueueAllAsync(Guid tenantId, Guid jobId, int total, string queue, CancellationToken ct) =>
        EnqueueAsync(tenantId, jobId, Enumerable.Range(0, total).ToList(), queue, ct);

    /// <summary>Enqueues the given item indexes, grouping consecutive ones into chunks.</summary>
    public async Task EnqueueAsync(Guid tenantId, Guid jobId, IReadOnlyList<int> indexes, string queue, CancellationToken ct)
    {
        var chunkSize = options.Value.ChunkSize;
        var chunks = new List<(int First, int Last, string HangfireId)>();
        var i = 0;
        while (i < indexes.Count)
        {
            var first = indexes[i];
            var last = first;
            i++;
            while (i < indexes.Count && indexes[i] == last + 1 && last - first + 1 < chunkSize)
            {
                last = indexes[i];
                i++;
            }

            var (f, l) = (first, last);
            var id = client.Enqueue<JobWorker>(queue, w => w.ProcessAsync(tenantId, jobId, f, l, CancellationToken.None));
            chunks.Add((f, l, id));
        }

        if (!await items.SetTicketsAsync(jobId, chunks, ct))
        {
            await hangfire.DeleteAsync(chunks.Select(c => c.HangfireId), CancellationToken.None);
        }
    }

    /// <summary>Schedules a single item's retry after <paramref name="delay"/>.</summary>
    public Task ScheduleRetryAsync(Guid tenantId, Guid jobId, int index, string queue, TimeSpan delay, CancellationToken ct) =>
        ScheduleChunkAsync(tenantId, jobId, index, index, queue, delay, ct);

    /// <summary>Schedules the items [first, last] to run after <paramref name="delay"/>, as their new ticket.</summary>
    public async Task ScheduleChunkAsync(Guid tenantId, Guid jobId, int first, int last, string queue, TimeSpan delay, CancellationToken ct)
    {
        var id = client.Schedule<JobWorker>(queue, w => w.ProcessAsync(tenantId, jobId, first, last, CancellationToken.None), delay);
        if (!await items.SetTicketsAsync(jobId, [(first, last, id)], ct))
        {
            await hangfire.DeleteAsync([id], CancellationToken.None);
        }
    }

    /// <summary>A disabled tenant's chunk waits, unclaimed and uncounted, and is looked at again after Jobs:DisabledTenantRecheckSeconds.</summary>
    public Task DeferChunkAsync(Guid tenantId, Guid jobId, int first, int last, string queue, CancellationToken ct) =>
        ScheduleChunkAsync(tenantId, jobId, first, last, queue, TimeSpan.FromSeconds(options.Value.DisabledTenantRecheckSeconds), ct);

    /// <summary>A disabled tenant's webhook waits too, spending no attempt.</summary>
    public Task DeferWebhookAsync(Guid jobId, CancellationToken ct) =>
        EnqueueWebhookAsync(jobId, TimeSpan.FromSeconds(options.Value.DisabledTenantRecheckSeconds), ct);

    public async Task EnqueueWebhookAsync(Guid jobId, TimeSpan? delay, CancellationToken ct)
    {
        var id = delay is { } d
            ? client.Schedule<WebhookSender>(w => w.DeliverAsync(jobId, CancellationToken.None), d)
            : client.Enqueue<WebhookSender>(w => w.DeliverAsync(jobId, CancellationToken.None));
        if (!await webhooks.SetTicketAsync(jobId, id, ct))
        {
            await hangfire.DeleteAsync([id], CancellationToken.None);
        }
    }
}
