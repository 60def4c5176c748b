using System.Net;
using System.Text;
using Detector.Modules.Common.Auditing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Detector.Tests.Unit.Common;

/// <summary>
/// An audit record nobody waits for is still observed: whether the trail throws at once or its
/// task faults later, the answer stands, the failure is counted and logged with its action, and
/// no faulted task is left for the finalizer to report as unobserved.
/// </summary>
public sealed class AuditRecordingTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failing_audit_record_is_counted_and_logged_and_never_left_unobserved_or_failing_the_answer(bool throwsAtOnce)
    {
        var action = "test.audit-failure-" + Guid.NewGuid().ToString("N")[..8];
        var unobserved = new List<Exception>();
        void OnUnobserved(object? sender, UnobservedTaskExceptionEventArgs e)
        {
            if (e.Exception.Flatten().InnerExceptions.Any(x => x.Message.Contains(action, StringComparison.Ordinal)))
            {
                lock (unobserved)
                {
                    unobserved.Add(e.Exception);
                }
            }
        }

        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton<IAuditTrail>(new FailingTrail(throwsAtOnce));
        await using var app = builder.Build();
        app.MapGet("/thing", () => TypedResults.Ok("done")).Audited(action);
        await app.StartAsync();
        using var client = app.GetTestClient();

        TaskScheduler.UnobservedTaskException += OnUnobserved;
        try
        {
            for (var i = 0; i < 3; i++)
            {
                using var response = await client.GetAsync("/thing");
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            // A task that faults later is reported when it faults: wait for the three reports.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (logs.Errors(action).Count < 3 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }

            Assert.Equal(3, logs.Errors(action).Count);
            Assert.Equal(3, await FailuresCountedAsync(action));

            // What nobody observed is reported when the task is finalized.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        finally
        {
            TaskScheduler.UnobservedTaskException -= OnUnobserved;
        }

        Assert.Empty(unobserved);
    }

    private static async Task<double> FailuresCountedAsync(string action)
    {
        using var stream = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        var prefix = $"detector_audit_record_failures_total{{action=\"{action}\"}} ";
        var line = Encoding.UTF8.GetString(stream.ToArray()).Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class FailingTrail(bool throwsAtOnce) : IAuditTrail
    {
        public Task<bool> RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
            throwsAtOnce ? throw new InvalidOperationException("audit trail broken: " + auditEvent.Action) : FaultLaterAsync(auditEvent.Action);

        private static async Task<bool> FaultLaterAsync(string action)
        {
            await Task.Delay(10);
            throw new InvalidOperationException("audit trail broken: " + action);
        }
    }
}

/// <summary>Keeps the error entries logged through it, by message.</summary>
internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly List<(LogLevel Level, string Message, Exception? Exception)> _entries = [];

    public IReadOnlyList<string> Errors(string containing)
    {
        lock (_entries)
        {
            return _entries.Where(e => e.Level >= LogLevel.Error && e.Message.Contains(containing, StringComparison.Ordinal)).Select(e => e.Message).ToList();
        }
    }

    public IReadOnlyList<string> Messages(LogLevel atLeast)
    {
        lock (_entries)
        {
            return _entries.Where(e => e.Level >= atLeast).Select(e => e.Message).ToList();
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(CapturingLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (provider._entries)
            {
                provider._entries.Add((logLevel, formatter(state, exception), exception));
            }
        }
    }
}
