using System.Net;
using Detector.Client;

namespace Detector.Tests.Unit.Client;

public sealed class RetryLoopTests
{
    [Theory]
    [InlineData(429, "rate_limited", true)]
    [InlineData(429, "concurrency_limited", true)]
    [InlineData(429, "quota_exceeded", false)] // the reset can be a day away: the caller decides
    [InlineData(503, "overloaded", true)]
    [InlineData(503, "database_unavailable", true)]
    [InlineData(502, "http_502", true)]
    [InlineData(504, "http_504", true)]
    [InlineData(504, "deadline_exceeded", false)] // the request's own budget is spent
    [InlineData(409, "idempotency_key_in_use", true)] // the first attempt still runs: its answer will be replayed
    [InlineData(409, "job_not_finished", false)]
    [InlineData(400, "validation_failed", false)]
    [InlineData(422, "corrupt_image", false)]
    [InlineData(404, "not_found", false)]
    [InlineData(500, "internal_error", false)]
    public void Only_refusals_a_retry_can_get_past_are_retried(int status, string code, bool retried) =>
        Assert.Equal(retried, RetryLoop.Retryable(new ProblemInfo(code, (HttpStatusCode)status)));

    [Fact]
    public void Backoff_doubles_from_the_base_with_jitter_in_the_upper_half_and_stops_at_the_cap()
    {
        var loop = new RetryLoop(new DetectorClientOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) });
        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(loop.Backoff(1).TotalMilliseconds, 50, 100);
            Assert.InRange(loop.Backoff(3).TotalMilliseconds, 200, 400);
            Assert.InRange(loop.Backoff(40).TotalMilliseconds, 500, 1000);
        }

        var draws = Enumerable.Range(0, 50).Select(_ => loop.Backoff(2)).Distinct().Count();
        Assert.True(draws > 10, "jittered, not one fixed delay");
    }
}
