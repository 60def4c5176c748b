namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// The CPU cores model runs may use, shared by every model of the process: a single-threaded run
/// holds one, an all-cores run holds them all. However many models and executor slots exist,
/// runtime threads never outnumber cores (an oversubscribed core slows every run on it). The
/// all-cores run is only ever tried, never waited for: it is for a request that finds the machine
/// idle, and waiting for idleness under load would starve it and everyone behind it.
/// </summary>
internal sealed class CoreBudget(int cores)
{
    private readonly object _lock = new();
    private int _free = Math.Max(1, cores);

    public int Cores { get; } = Math.Max(1, cores);

    /// <summary>Takes every core if all are free at this moment; never waits.</summary>
    public bool TryTakeAll()
    {
        lock (_lock)
        {
            if (_free != Cores)
            {
                return false;
            }

            _free = 0;
            return true;
        }
    }

    /// <summary>Takes <paramref name="count"/> cores (at most all), waiting while fewer are free; returns how many it took.</summary>
    public int Take(int count, CancellationToken stop)
    {
        count = Math.Clamp(count, 1, Cores);
        lock (_lock)
        {
            while (_free < count)
            {
                if (stop.IsCancellationRequested)
                {
                    break; // stopping: finish the batch in hand rather than strand its callers
                }

                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(100));
            }

            _free -= count;
            return count;
        }
    }

    public void Give(int count)
    {
        lock (_lock)
        {
            _free += count;
            Monitor.PulseAll(_lock);
        }
    }
}
