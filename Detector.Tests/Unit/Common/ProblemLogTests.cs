using Detector.Modules.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Detector.Tests.Unit.Common;

public sealed class ProblemLogTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingLogger _logger = new();

    private ProblemLog Log() => new(_logger, _time);

    private static DomainException Overloaded() => new(OutcomeKind.Overloaded, ErrorCodes.Overloaded, "Overloaded", "full") { RetryAfterSeconds = 1 };

    [Fact]
    public void A_transient_problem_answered_many_times_is_logged_once_per_window_with_the_count_of_the_others()
    {
        var log = Log();
        for (var i = 0; i < 500; i++)
        {
            log.Answered("/v1/detect", Overloaded(), "full");
        }

        Assert.Single(_logger.Lines);

        _time.Advance(TimeSpan.FromSeconds(10));
        log.Answered("/v1/detect", Overloaded(), "full");

        Assert.Equal(2, _logger.Lines.Count);
        Assert.Contains("499 more", _logger.Lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Each_code_has_its_own_window()
    {
        var log = Log();
        log.Answered("/v1/detect", Overloaded(), "full");
        log.Answered("/v1/detect", new DomainException(OutcomeKind.Unavailable, ErrorCodes.DatabaseUnavailable, "Database unavailable") { RetryAfterSeconds = 2 }, "down");
        log.Answered("/v1/detect", Overloaded(), "full");

        Assert.Equal(2, _logger.Lines.Count);
    }

    [Fact]
    public void A_server_problem_without_retry_after_is_logged_every_time_and_client_problems_never()
    {
        var log = Log();
        for (var i = 0; i < 3; i++)
        {
            log.Answered("/v1/detect", new DomainException(OutcomeKind.StorageFull, ErrorCodes.StorageFull, "Storage full"), "disk full");
            log.Answered("/v1/detect", new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Bad request"), "bad");
        }

        Assert.Equal(3, _logger.Lines.Count);
        Assert.All(_logger.Lines, l => Assert.Contains(ErrorCodes.StorageFull, l, StringComparison.Ordinal));
    }

    private sealed class RecordingLogger : ILogger<ProblemLog>
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }
}
