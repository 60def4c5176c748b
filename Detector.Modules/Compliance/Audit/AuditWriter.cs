using System.Threading.Channels;
using Detector.Modules.Common.Resilience;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Compliance.Audit;

/// <summary>An entry waiting to be appended, with who/where already taken from its request.</summary>
internal sealed record PendingEntry(string Action, int? Status, string? Detail, string Actor, Guid? Tenant, string? Target, string? Remote)
{
    public TaskCompletionSource<bool> Written { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A flush marker: completed once everything queued before it is written, never written itself.</summary>
    public bool IsFlush { get; init; }
}

/// <summary>
/// Appends audit entries off the request path, many per transaction: a detection must not wait
/// for a second commit (measured: c=1 p50 27.8 → 34.9 ms and c=16 75.8 → 64.9 img/s with one
/// synchronous append per request on this machine). Entries are written in the order they were
/// recorded, within <see cref="FlushInterval"/> of it; a failed batch is retried while the
/// database is down. Callers that must know an entry is durable await it (a tenant erase);
/// readers of the log flush first, so an instance reads its own writes.
/// </summary>
internal sealed partial class AuditWriter(NpgsqlDataSource dataSource, AuditSubjects subjects, ILogger<AuditWriter> logger) : BackgroundService
{
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(50);
    private const int MaxBatch = 256;
    private const int Capacity = 20_000;
    private readonly Channel<PendingEntry> _queue = Channel.CreateBounded<PendingEntry>(new BoundedChannelOptions(Capacity) { SingleReader = true });

    /// <summary>Queues the entry; the task completes when it is written (false: dropped, the queue was full or the writer gave up).</summary>
    public Task<bool> EnqueueAsync(PendingEntry entry)
    {
        if (!_queue.Writer.TryWrite(entry))
        {
            // Never block a request on the audit log: the drop is counted and alerted on.
            ComplianceMetrics.AuditFailures.WithLabels(entry.Action).Inc();
            LogDropped(logger, entry.Action);
            entry.Written.TrySetResult(false);
        }

        return entry.Written.Task;
    }

    /// <summary>Completes once every entry queued before it is written, or after <paramref name="timeout"/> (false) if the database is down.</summary>
    public async Task<bool> FlushAsync(TimeSpan? timeout = null)
    {
        var flushed = EnqueueAsync(new PendingEntry("", null, null, "", null, null, null) { IsFlush = true });
        return await Task.WhenAny(flushed, Task.Delay(timeout ?? TimeSpan.FromSeconds(5))) == flushed && await flushed;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<PendingEntry>(MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken))
            {
                await Task.Delay(FlushInterval, stoppingToken); // let a batch gather
                await DrainAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        // Stopping: what is queued is still written (graceful shutdown gives it the time).
        _queue.Writer.TryComplete();
        using var last = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await DrainAsync(batch, last.Token);
    }

    private async Task DrainAsync(List<PendingEntry> batch, CancellationToken ct)
    {
        while (true)
        {
            batch.Clear();
            var flushes = new List<PendingEntry>();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var entry))
            {
                (entry.IsFlush ? flushes : batch).Add(entry);
            }

            if (batch.Count == 0 && flushes.Count == 0)
            {
                return;
            }

            var written = batch.Count == 0 || await WriteWithRetryAsync(batch, ct);
            foreach (var entry in batch.Concat(flushes))
            {
                entry.Written.TrySetResult(written);
            }
        }
    }

    private async Task<bool> WriteWithRetryAsync(List<PendingEntry> batch, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await WriteAsync(batch, ct);
                foreach (var entry in batch)
                {
                    ComplianceMetrics.AuditEntries.WithLabels(entry.Action).Inc();
                }

                return true;
            }
            catch (Exception ex) when (IsTransient(ex) && attempt < 8 && !ct.IsCancellationRequested)
            {
                // The database is down or failing over: the batch waits, in order, for it.
                LogRetrying(logger, batch.Count, attempt, ex.Message);
                await Task.Delay(Backoff.Exponential(attempt, TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(6400)), CancellationToken.None);
            }
            catch (Exception ex) when (!IsTransient(ex) && batch.Count > 1 && !ct.IsCancellationRequested)
            {
                // One entry the database refuses must not cost the others: one at a time.
                LogRetrying(logger, batch.Count, attempt, ex.Message);
                var all = true;
                foreach (var single in batch)
                {
                    all &= await WriteWithRetryAsync([single], ct);
                }

                return all;
            }
            catch (Exception ex)
            {
                // Whatever it was, the writer lives on and every waiter gets its answer.
                foreach (var entry in batch)
                {
                    ComplianceMetrics.AuditFailures.WithLabels(entry.Action).Inc();
                }

                LogLost(logger, batch.Count, ex);
                return false;
            }
        }
    }

    private static bool IsTransient(Exception ex) => ex is NpgsqlException { IsTransient: true } or TimeoutException;

    /// <summary>One transaction, one round trip: the appends in order, under the chain's lock taken once.</summary>
    private async Task WriteAsync(List<PendingEntry> batch, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var command = new NpgsqlBatch(connection, tx);
        foreach (var e in batch)
        {
            // The subject's digest is keyed here: the key never reaches the database.
            var append = new NpgsqlBatchCommand("SELECT audit.append($1, $2, $3, $4, $5, $6, $7, $8, $9)");
            append.Parameters.Add(new NpgsqlParameter { Value = e.Action });
            append.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Status ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Integer });
            append.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Detail ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            append.Parameters.Add(new NpgsqlParameter { Value = e.Actor });
            append.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Tenant ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
            append.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Target ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            append.Parameters.Add(new NpgsqlParameter { Value = (object?)e.Remote ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
            append.Parameters.Add(new NpgsqlParameter { Value = subjects.Digest(e.Actor, e.Tenant, e.Target, e.Remote), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bytea });
            append.Parameters.Add(new NpgsqlParameter { Value = SubjectAlg.HmacSha256, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Smallint });
            command.BatchCommands.Add(append);
        }

        await command.ExecuteNonQueryAsync(ct);

        await tx.CommitAsync(ct);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit queue full: entry {Action} dropped")]
    private static partial void LogDropped(ILogger logger, string action);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Appending {Count} audit entries failed (attempt {Attempt}): {Reason}; retrying")]
    private static partial void LogRetrying(ILogger logger, int count, int attempt, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Count} audit entries could not be appended")]
    private static partial void LogLost(ILogger logger, int count, Exception exception);
}
