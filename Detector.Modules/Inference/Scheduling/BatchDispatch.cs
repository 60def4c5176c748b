namespace Detector.Modules.Inference.Scheduling;

/// <summary>
/// Where a taken batch runs: a request that finds the machine idle runs on the wide executor
/// (every core) instead of its thread's single-threaded slot; anything else runs on the thread's
/// own slot, holding as many cores of the shared <see cref="CoreBudget"/> as the slot's runtime
/// uses. An executor whose run failed is recovered (<see cref="ExecutorRecovery"/>) before this
/// thread takes another batch.
/// </summary>
internal sealed class BatchDispatch(IBatchExecutor? wide, CoreBudget? cores, AdmissionControl admission, BatchExecution execution, ExecutorRecovery recovery)
{
    public void Dispatch(IBatchExecutor narrow, WorkItem[] batch, int n, CancellationToken stop)
    {
        if (n == 1 && TryRunWide(batch, n, stop))
        {
            return; // served
        }

        var held = cores?.Take(narrow.Threads, stop) ?? 0;
        bool failed;
        try
        {
            failed = execution.Execute(narrow, batch, 0, n, wide: false);
        }
        finally
        {
            cores?.Give(held);
        }

        if (failed)
        {
            recovery.Recover(narrow, isWide: false, stop);
        }
    }

    /// <summary>Runs the batch on the wide executor if the machine is idle; false when it did not (the batch is still open).</summary>
    private bool TryRunWide(WorkItem[] batch, int n, CancellationToken stop)
    {
        // One request alone on an idle machine runs on every core: a single-threaded run is the
        // throughput layout, but it leaves the other cores idle while this caller waits. Alone
        // means nothing else of this model admitted (decoding counts: a decode beside a two-thread
        // run makes it wait for its slower thread, measured 39 ms instead of 13 at c=4) and no
        // other run holding a core.
        if (wide is null || !recovery.WideHealthy || admission.Admitted > 1 || cores is null || !cores.TryTakeAll())
        {
            return false;
        }

        var ran = false;
        var wideFailed = false;
        try
        {
            // Checked again with the cores held: a failed wide run is marked unhealthy before
            // its cores are given back, so no thread can start a run on a session being rebuilt.
            if (recovery.WideHealthy)
            {
                ran = true;
                wideFailed = execution.Execute(wide, batch, 0, n, wide: true);
                if (wideFailed)
                {
                    recovery.MarkWideFailed();
                }
            }
        }
        finally
        {
            cores.Give(cores.Cores);
        }

        if (wideFailed)
        {
            recovery.Recover(wide, isWide: true, stop);
        }

        return ran;
    }
}
