// A .NET startup hook (DOTNET_STARTUP_HOOKS=<this assembly>) that LastChanceTests load into a
// real service process, so the service's own code is tested unchanged: on a trigger file it
// throws on a background thread (the process dies) or drops a faulted task (it lives on). The
// runtime requires the type to be named StartupHook, in no namespace.
#pragma warning disable CA1050 // the runtime looks the hook up by this exact, namespace-less name

internal static class StartupHook
{
    public const string KindVariable = "DETECTOR_CRASH_HOOK_KIND";
    public const string TriggerVariable = "DETECTOR_CRASH_HOOK_TRIGGER";
    public const string Marker = "crash-hook: thrown on purpose";

    public static void Initialize()
    {
        var kind = Environment.GetEnvironmentVariable(KindVariable);
        var trigger = Environment.GetEnvironmentVariable(TriggerVariable);
        if (kind is null || trigger is null)
        {
            return;
        }

        new Thread(() =>
        {
            while (!File.Exists(trigger))
            {
                Thread.Sleep(50);
            }

            if (kind == "thread")
            {
                ThrowOnBackgroundThread();
            }
            else
            {
                DropFaultedTask();
            }
        })
        { IsBackground = true, Name = "crash-hook" }.Start();
    }

    private static void ThrowOnBackgroundThread() => throw new InvalidOperationException(Marker);

    private static void DropFaultedTask()
    {
        // The task must be unreachable before the collection finalizes it and raises the event.
        Fault();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static void Fault() => _ = Task.Run(new Action(() => throw new InvalidOperationException(Marker))).ContinueWith(_ => { }, TaskScheduler.Default).Wait(1000);
}
