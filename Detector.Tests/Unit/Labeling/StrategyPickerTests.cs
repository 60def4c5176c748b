using Detector.Modules.Labeling.Sampling;

namespace Detector.Tests.Unit.Labeling;

/// <summary>Share and daily cap: deterministic by result id and strategy, and never above the cap.</summary>
public sealed class StrategyPickerTests
{
    private static readonly Dictionary<(Guid, string), int> None = [];

    [Fact]
    public void The_share_is_chosen_by_result_id_and_strategy_so_a_rerun_picks_the_same_results()
    {
        var stream = Enumerable.Range(1, 500).Select(n => StrategyTests.Result(n)).ToList();
        List<Guid> Run()
        {
            var picker = new StrategyPicker([new ConfiguredStrategy(new RandomStrategy(), true, 0.3, int.MaxValue)], None);
            return [.. stream.Where(c => picker.Pick(c) is not null).Select(c => c.ResultId)];
        }

        var first = Run();
        Assert.Equal(first, Run());
        Assert.All(first, id => Assert.True(StrategyPicker.Takes(id, RandomStrategy.StrategyName, 0.3)));
        // Another strategy's share over the same results takes a different sample.
        var other = stream.Where(c => StrategyPicker.Takes(c.ResultId, FeedbackStrategy.StrategyName, 0.3)).Select(c => c.ResultId).ToList();
        Assert.NotEqual(first, other);
        // A larger share takes a superset.
        Assert.All(first, id => Assert.True(StrategyPicker.Takes(id, RandomStrategy.StrategyName, 0.6)));
        Assert.DoesNotContain(stream, c => StrategyPicker.Takes(c.ResultId, RandomStrategy.StrategyName, 0.0));
    }

    [Fact]
    public void The_daily_cap_per_tenant_counts_what_was_enqueued_today_already_and_each_tenant_separately()
    {
        var a = Guid.NewGuid();
        var b = Guid.NewGuid();
        var stream = Enumerable.Range(1, 20).Select(n => StrategyTests.Result(n) with { TenantId = n % 2 == 0 ? a : b }).ToList();
        var picker = new StrategyPicker(
            [new ConfiguredStrategy(new RandomStrategy(), true, 1.0, 5)],
            new Dictionary<(Guid, string), int> { [(a, RandomStrategy.StrategyName)] = 3 });

        var picked = stream.Where(c => picker.Pick(c) is not null).ToList();

        Assert.Equal(2, picked.Count(c => c.TenantId == a));
        Assert.Equal(5, picked.Count(c => c.TenantId == b));
    }

    [Fact]
    public void The_first_enabled_strategy_that_wants_a_result_picks_it_and_a_capped_one_leaves_it_to_the_next()
    {
        var picker = new StrategyPicker(
            [
                new ConfiguredStrategy(new FeedbackStrategy(), true, 1.0, 1),
                new ConfiguredStrategy(new LowConfidenceStrategy(0.3, 0.5), false, 1.0, 100),
                new ConfiguredStrategy(new RandomStrategy(), true, 1.0, 100),
            ], None);

        Assert.Equal(FeedbackStrategy.StrategyName, picker.Pick(StrategyTests.Result(1) with { HasQueuedFeedback = true }));
        Assert.Equal(RandomStrategy.StrategyName, picker.Pick(StrategyTests.Result(2, ("cat", 0.4f)) with { HasQueuedFeedback = true }));
        Assert.Equal(RandomStrategy.StrategyName, picker.Pick(StrategyTests.Result(3, ("cat", 0.4f))));
    }
}
