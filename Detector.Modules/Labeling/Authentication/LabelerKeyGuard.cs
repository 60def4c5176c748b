using System.Collections.Concurrent;
using System.Net;
using Detector.Modules.Common;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Labeling.Authentication;

/// <summary>
/// Keeps guessed labeler keys away from the database: an address that sent
/// <see cref="KeyGuardOptions.MaxFailures"/> unknown keys within a window is refused without a
/// lookup until the window ends (clients as <see cref="ClientPartition"/> counts them), and at most
/// <see cref="KeyGuardOptions.MaxConcurrentLookups"/> lookups run at once on an instance. Labeler
/// keys are looked up on every request (a deleted labeler stops at once), so without this a flood
/// of random keys would be a flood of queries.
/// </summary>
internal sealed class LabelerKeyGuard(IOptions<LabelingOptions> options, TimeProvider time) : IDisposable
{
    private readonly ConcurrentDictionary<string, Window> _failures = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lookups = new(options.Value.KeyGuard.MaxConcurrentLookups);

    private KeyGuardOptions Settings => options.Value.KeyGuard;

    /// <summary>Seconds until the address may try again; 0 when it may now.</summary>
    public int RetryAfterSeconds(IPAddress? address)
    {
        if (!_failures.TryGetValue(ClientPartition.For(address), out var window))
        {
            return 0;
        }

        var left = window.Start.AddSeconds(Settings.WindowSeconds) - time.GetUtcNow();
        return left <= TimeSpan.Zero || window.Count < Settings.MaxFailures ? 0 : (int)Math.Ceiling(left.TotalSeconds);
    }

    public void RecordFailure(IPAddress? address)
    {
        var now = time.GetUtcNow();
        // Bounded: a spray from many addresses forgets the oldest windows rather than growing without end.
        if (_failures.Count >= Settings.MaxTrackedAddresses)
        {
            foreach (var stale in _failures.Where(f => f.Value.Start.AddSeconds(Settings.WindowSeconds) <= now).Take(Settings.MaxTrackedAddresses / 4).ToList())
            {
                _failures.TryRemove(stale.Key, out _);
            }

            if (_failures.Count >= Settings.MaxTrackedAddresses)
            {
                _failures.Clear();
            }
        }

        _failures.AddOrUpdate(
            ClientPartition.For(address),
            _ => new Window(now, 1),
            (_, w) => w.Start.AddSeconds(Settings.WindowSeconds) <= now ? new Window(now, 1) : w with { Count = w.Count + 1 });
    }

    /// <summary>A lookup slot, or false when every slot is busy (the caller answers 503 rather than queue).</summary>
    public Task<bool> EnterLookupAsync(CancellationToken ct) => _lookups.WaitAsync(TimeSpan.FromMilliseconds(Settings.LookupWaitMs), ct);

    public void ExitLookup() => _lookups.Release();

    public void Dispose() => _lookups.Dispose();

    private sealed record Window(DateTimeOffset Start, int Count);
}
