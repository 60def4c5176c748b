using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Common;

/// <summary>
/// The log line of a server-side problem answer. A transient one (it carries Retry-After:
/// overloaded, database_unavailable, …) is logged once per code every ten seconds with how often
/// it was answered meanwhile: under overload or an outage it is answered hundreds of times a
/// second, and a line each would flood the logs, cost the CPU the refusals are meant to save, and
/// let any client fill the disk. Metrics count every one. Other 5xx answers are logged each time.
/// </summary>
public sealed partial class ProblemLog(ILogger<ProblemLog> logger, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, Throttle> _throttles = new();

    public void Answered(string path, DomainException problem, string reason)
    {
        ArgumentNullException.ThrowIfNull(problem);
        if (OutcomeTable.StatusOf(problem.Kind) < 500)
        {
            return;
        }

        if (problem.RetryAfterSeconds is null)
        {
            LogServerProblem(logger, problem.Code, path, reason);
            return;
        }

        var throttle = _throttles.GetOrAdd(problem.Code, static _ => new Throttle());
        var now = time.GetTimestamp();
        int suppressed;
        lock (throttle)
        {
            if (throttle.LoggedAt != 0 && time.GetElapsedTime(throttle.LoggedAt, now) < Window)
            {
                throttle.Suppressed++;
                return;
            }

            suppressed = throttle.Suppressed;
            throttle.Suppressed = 0;
            throttle.LoggedAt = now;
        }

        LogTransientProblem(logger, problem.Code, path, reason, suppressed, Window.TotalSeconds);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered {Code} on {Path}: {Reason}")]
    private static partial void LogServerProblem(ILogger logger, string code, string path, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered {Code} on {Path}: {Reason} ({Suppressed} more since the last such line; logged at most every {WindowSeconds} s)")]
    private static partial void LogTransientProblem(ILogger logger, string code, string path, string reason, int suppressed, double windowSeconds);

    private sealed class Throttle
    {
        public long LoggedAt;
        public int Suppressed;
    }
}
