using Prometheus;
using ILogger = Microsoft.Extensions.Logging.ILogger;

namespace Detector.Web.Infrastructure;

/// <summary>
/// The process's last words. An exception nobody catches on a thread, timer or thread-pool item
/// ends the process; a faulted task nobody awaited is dropped silently. Both are counted and
/// logged with their stack here first, so a dead instance (or a crashed test host) names its
/// killer in its own log instead of leaving only an exit code. Installed once per process:
/// in-process test hosts share it and log through the newest host's logger.
/// </summary>
internal static partial class LastChanceHandler
{
    private static readonly Counter Unhandled = Metrics.CreateCounter(
        "detector_unhandled_exceptions_total",
        "Exceptions no code caught: kind=thread ends the process (counted just before), kind=unobserved_task is a faulted task nobody awaited.",
        "kind");

    private static ILogger? s_logger;
    private static int s_installed;

    /// <summary>Installs the handlers (once) and logs through <paramref name="app"/>'s logger from now on.</summary>
    public static WebApplication UseLastChanceHandler(this WebApplication app)
    {
        Volatile.Write(ref s_logger, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Detector.LastChance"));
        Install();
        return app;
    }

    /// <summary>Installs the handlers with no logger yet (start-up): they then write to standard error.</summary>
    public static void Install()
    {
        if (Interlocked.Exchange(ref s_installed, 1) == 0)
        {
            AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
            TaskScheduler.UnobservedTaskException += OnUnobservedTaskException;
        }
    }

    private static void OnUnhandledException(object? sender, UnhandledExceptionEventArgs e)
    {
        Unhandled.WithLabels("thread").Inc();
        var exception = e.ExceptionObject as Exception ?? new InvalidOperationException($"Non-exception object thrown: {e.ExceptionObject}");
        Report(logger => LogUnhandled(logger, e.IsTerminating, Thread.CurrentThread.Name ?? "(unnamed)", exception), "unhandled exception", exception, e.IsTerminating);
    }

    private static void OnUnobservedTaskException(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        Unhandled.WithLabels("unobserved_task").Inc();
        Report(logger => LogUnobserved(logger, e.Exception), "unobserved task exception", e.Exception, terminating: false);
    }

    private static void Report(Action<ILogger> log, string what, Exception exception, bool terminating)
    {
        // Never throw from here: an exception in the handler would hide the one being reported.
        try
        {
            if (Volatile.Read(ref s_logger) is { } logger)
            {
                log(logger);
                if (terminating)
                {
                    Serilog.Log.CloseAndFlush(); // the process is gone before a buffered sink would write
                }

                return;
            }
        }
        catch (Exception)
        {
            // fall through to standard error
        }

        try
        {
            Console.Error.WriteLine($"detector: {what}: {exception}");
        }
        catch (Exception)
        {
            // nothing left to tell it to
        }
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "Unhandled exception on thread {Thread} (process terminating: {Terminating})")]
    private static partial void LogUnhandled(ILogger logger, bool terminating, string thread, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "A faulted task was never awaited; its exception would have been lost")]
    private static partial void LogUnobserved(ILogger logger, Exception exception);
}
