using System.Net;
using Detector.Modules.Labeling;
using Detector.Modules.Labeling.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Detector.Tests.Unit.Labeling;

public sealed class LabelerKeyGuardTests
{
    private static (LabelerKeyGuard Guard, FakeTimeProvider Time) Guard(int maxFailures = 3, int windowSeconds = 60)
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-07T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var options = new LabelingOptions { KeyGuard = new KeyGuardOptions { MaxFailures = maxFailures, WindowSeconds = windowSeconds } };
        return (new LabelerKeyGuard(Options.Create(options), time), time);
    }

    [Fact]
    public void An_address_that_sent_too_many_unknown_keys_waits_out_its_window_and_others_are_not_held_back()
    {
        var (guard, time) = Guard();
        var guesser = IPAddress.Parse("203.0.113.7");
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(0, guard.RetryAfterSeconds(guesser));
            guard.RecordFailure(guesser);
        }

        Assert.Equal(60, guard.RetryAfterSeconds(guesser));
        Assert.Equal(0, guard.RetryAfterSeconds(IPAddress.Parse("203.0.113.8")));
        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(15, guard.RetryAfterSeconds(guesser));
        time.Advance(TimeSpan.FromSeconds(15));
        Assert.Equal(0, guard.RetryAfterSeconds(guesser));
        guard.RecordFailure(guesser);
        Assert.Equal(0, guard.RetryAfterSeconds(guesser)); // a new window counts from one
    }

    [Fact]
    public void An_ipv6_client_is_one_partition_across_its_64_bit_prefix()
    {
        var (guard, _) = Guard(maxFailures: 2);
        guard.RecordFailure(IPAddress.Parse("2001:db8:1:2::1"));
        guard.RecordFailure(IPAddress.Parse("2001:db8:1:2:ffff::9"));

        Assert.True(guard.RetryAfterSeconds(IPAddress.Parse("2001:db8:1:2::abcd")) > 0);
        Assert.Equal(0, guard.RetryAfterSeconds(IPAddress.Parse("2001:db8:1:3::1")));
    }

    [Fact]
    public async Task Lookups_beyond_the_limit_are_refused_rather_than_queued()
    {
        var options = new LabelingOptions { KeyGuard = new KeyGuardOptions { MaxConcurrentLookups = 1, LookupWaitMs = 0 } };
        var guard = new LabelerKeyGuard(Options.Create(options), TimeProvider.System);

        Assert.True(await guard.EnterLookupAsync(CancellationToken.None));
        Assert.False(await guard.EnterLookupAsync(CancellationToken.None));
        guard.ExitLookup();
        Assert.True(await guard.EnterLookupAsync(CancellationToken.None));
    }
}
