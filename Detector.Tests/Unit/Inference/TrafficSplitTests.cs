using Detector.Modules.Inference.Loading;

namespace Detector.Tests.Unit.Inference;

/// <summary>The traffic split's placement of subjects: shares hold, a subject keeps its variant, and growing a canary only adds subjects to it.</summary>
public sealed class TrafficSplitTests
{
    private static readonly string[] Subjects = [.. Enumerable.Range(0, 10_000).Select(i => $"tenant:user-{i}")];

    [Fact]
    public void A_canary_at_20_percent_gets_20_percent_of_subjects_and_growing_it_to_50_keeps_every_one_of_them()
    {
        var at20 = Subjects.Where(s => TrafficSplit.AliasAt([("canary", 0.2)], TrafficSplit.PointOf("yolox_nano_416", s)) == "canary").ToHashSet();
        var at50 = Subjects.Where(s => TrafficSplit.AliasAt([("canary", 0.5)], TrafficSplit.PointOf("yolox_nano_416", s)) == "canary").ToHashSet();

        Assert.InRange(at20.Count, 1900, 2100);
        Assert.InRange(at50.Count, 4850, 5150);
        Assert.Subset(at50, at20);
    }

    [Fact]
    public void A_subject_gets_the_same_point_every_time_and_another_model_places_it_independently()
    {
        Assert.Equal(TrafficSplit.PointOf("m", "tenant:u"), TrafficSplit.PointOf("m", "tenant:u"));
        var sameHalf = Subjects.Count(s => TrafficSplit.PointOf("a", s) < 0.5 == TrafficSplit.PointOf("b", s) < 0.5);
        Assert.InRange(sameHalf, 4800, 5200);
    }

    [Fact]
    public void Ab_variants_take_their_shares_in_alias_order_and_production_the_rest()
    {
        var counts = Subjects.GroupBy(s => TrafficSplit.AliasAt([("a", 0.3), ("b", 0.3)], TrafficSplit.PointOf("m", s))).ToDictionary(g => g.Key, g => g.Count());

        Assert.InRange(counts["a"], 2850, 3150);
        Assert.InRange(counts["b"], 2850, 3150);
        Assert.InRange(counts["production"], 3850, 4150);
        Assert.Equal("production", TrafficSplit.AliasAt([], 0.0));
        Assert.Equal("a", TrafficSplit.AliasAt([("a", 0.3), ("b", 0.3)], 0.0));
        Assert.Equal("b", TrafficSplit.AliasAt([("a", 0.3), ("b", 0.3)], 0.3));
    }
}
