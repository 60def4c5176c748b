using Detector.Modules.Common.Auditing;
using Microsoft.Extensions.Logging;

namespace Detector.Tests.Unit.Compliance;

/// <summary>An audit entry recorded without waiting (Common's <see cref="AuditRecording.Record"/>, which Compliance and the dashboard use) is still watched: a recording that fails is counted and logged, never an unobserved task.</summary>
public sealed class ObservedAuditTests
{
    [Fact]
    public async Task An_audit_recording_that_faults_later_is_counted_and_logged_by_compliance()
    {
        var logger = new CapturingLogger();
        var before = AuditRecording.Failures.WithLabels("test.faults_later").Value;
        var fault = new TaskCompletionSource<bool>();

        new Trail(() => fault.Task).Record(new AuditEvent("test.faults_later"), logger);
        fault.SetException(new InvalidOperationException("audit writer broke"));

        await WaitUntilAsync(() => AuditRecording.Failures.WithLabels("test.faults_later").Value == before + 1);
        Assert.Contains(logger.Errors, e => e is InvalidOperationException { Message: "audit writer broke" });
    }

    [Fact]
    public void An_audit_recording_that_throws_at_once_is_counted_and_logged_by_the_dashboard()
    {
        var logger = new CapturingLogger();
        var before = AuditRecording.Failures.WithLabels("test.throws").Value;

        new Trail(() => throw new InvalidOperationException("no trail")).Record(new AuditEvent("test.throws"), logger);

        Assert.Equal(before + 1, AuditRecording.Failures.WithLabels("test.throws").Value);
        Assert.Contains(logger.Errors, e => e is InvalidOperationException { Message: "no trail" });
    }

    [Fact]
    public async Task An_audit_recording_that_succeeds_or_is_dropped_by_the_trail_is_not_counted_again()
    {
        var logger = new CapturingLogger();
        var before = AuditRecording.Failures.WithLabels("test.fine").Value;
        var later = new TaskCompletionSource<bool>();

        new Trail(() => Task.FromResult(true)).Record(new AuditEvent("test.fine"), logger);
        new Trail(() => later.Task).Record(new AuditEvent("test.fine"), logger);
        later.SetResult(false); // the trail counted and logged the drop itself
        await Task.Delay(100);

        Assert.Equal(before, AuditRecording.Failures.WithLabels("test.fine").Value);
        Assert.Empty(logger.Errors);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within 10 s");
            await Task.Delay(10);
        }
    }

    private sealed class Trail(Func<Task<bool>> record) : IAuditTrail
    {
        public Task<bool> RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken) => record();
    }

    private sealed class CapturingLogger : ILogger
    {
        private readonly List<Exception> _errors = [];

        public IReadOnlyList<Exception> Errors
        {
            get
            {
                lock (_errors)
                {
                    return [.. _errors];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error && exception is not null)
            {
                lock (_errors)
                {
                    _errors.Add(exception);
                }
            }
        }
    }
}
