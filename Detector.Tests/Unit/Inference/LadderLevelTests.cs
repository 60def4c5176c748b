using Detector.Modules.Inference.Degradation;

namespace Detector.Tests.Unit.Inference;

public sealed class LadderLevelTests
{
    private static LadderLevel Ladder() => new([0.3, 0.5], releaseFactor: 0.5, releaseAfter: TimeSpan.FromSeconds(2));

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void Each_rung_engages_at_once_when_the_backlog_crosses_its_threshold()
    {
        var ladder = Ladder();

        Assert.False(ladder.Update(0.29, S(0)));
        Assert.Equal(0, ladder.Level);
        Assert.True(ladder.Update(0.30, S(0.1)));
        Assert.Equal(1, ladder.Level);
        Assert.True(ladder.Update(0.55, S(0.2)));
        Assert.Equal(2, ladder.Level);
    }

    [Fact]
    public void A_backlog_that_jumps_past_both_thresholds_goes_straight_to_the_faster_model()
    {
        var ladder = Ladder();

        ladder.Update(0.9, S(0));

        Assert.Equal(2, ladder.Level);
    }

    [Fact]
    public void A_rung_releases_only_after_the_backlog_stayed_below_half_its_threshold_for_the_hold_time_one_rung_at_a_time()
    {
        var ladder = Ladder();
        ladder.Update(0.6, S(0));

        // Below the engage threshold but not below half of it: stays.
        ladder.Update(0.4, S(1));
        ladder.Update(0.4, S(10));
        Assert.Equal(2, ladder.Level);

        // Below half (0.25) but not for 2 s yet.
        ladder.Update(0.2, S(11));
        ladder.Update(0.2, S(12.9));
        Assert.Equal(2, ladder.Level);

        Assert.True(ladder.Update(0.2, S(13)));
        Assert.Equal(1, ladder.Level);

        // The next rung down needs its own 2 s below its own release point (0.15).
        ladder.Update(0.1, S(13.5));
        Assert.Equal(1, ladder.Level);
        ladder.Update(0.1, S(15.5));
        Assert.Equal(0, ladder.Level);
    }

    [Fact]
    public void A_backlog_that_bounces_above_the_release_point_restarts_the_hold()
    {
        var ladder = Ladder();
        ladder.Update(0.35, S(0));

        ladder.Update(0.1, S(1));
        ladder.Update(0.2, S(2.5)); // above 0.15: the hold starts again
        ladder.Update(0.1, S(3));
        ladder.Update(0.1, S(4.9));

        Assert.Equal(1, ladder.Level);
        ladder.Update(0.1, S(5));
        Assert.Equal(0, ladder.Level);
    }

    [Fact]
    public void With_a_compressed_rung_below_the_others_each_of_three_rungs_engages_at_its_own_threshold_and_releases_at_half_of_it()
    {
        var ladder = new LadderLevel([0.2, 0.3, 0.5], releaseFactor: 0.5, releaseAfter: TimeSpan.FromSeconds(2));

        Assert.True(ladder.Update(0.2, S(0)));
        Assert.Equal(1, ladder.Level);
        Assert.True(ladder.Update(0.35, S(0.1)));
        Assert.Equal(2, ladder.Level);
        Assert.True(ladder.Update(0.5, S(0.2)));
        Assert.Equal(3, ladder.Level);

        ladder.Update(0.2, S(1));
        Assert.True(ladder.Update(0.2, S(3))); // below 0.25 for 2 s
        Assert.Equal(2, ladder.Level);
        ladder.Update(0.12, S(3.5));
        Assert.True(ladder.Update(0.12, S(5.5))); // below 0.15 for 2 s
        Assert.Equal(1, ladder.Level);
        ladder.Update(0.12, S(6));
        Assert.Equal(1, ladder.Level); // not below 0.1
        ladder.Update(0.05, S(6.5));
        Assert.True(ladder.Update(0.05, S(8.5)));
        Assert.Equal(0, ladder.Level);
    }
}
