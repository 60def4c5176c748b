using Detector.Modules.Common.Resilience;

namespace Detector.Tests.Unit.Common;

public sealed class BackoffTests
{
    private static readonly TimeSpan Initial = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(5, 16)]
    [InlineData(6, 30)]
    [InlineData(1000, 30)]
    public void Exponential_doubles_per_attempt_up_to_the_cap(int attempt, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), Backoff.Exponential(attempt, Initial, Max));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(50)]
    public void Jittered_delays_stay_between_half_and_all_of_the_exponential_delay_and_spread_out(int attempt)
    {
        var full = Backoff.Exponential(attempt, Initial, Max);
        var random = new Random(1234);
        var delays = Enumerable.Range(0, 1000).Select(_ => Backoff.Jittered(attempt, Initial, Max, random)).ToList();

        Assert.All(delays, d => Assert.InRange(d, full / 2, full));
        // Spread over the range, so retries started by one event do not come back together.
        Assert.True(delays.Max() - delays.Min() > full * 0.4, $"spread {delays.Max() - delays.Min()} of {full}");
        Assert.True(delays.Distinct().Count() > 900);
    }
}
