using Detector.Modules.Labeling.Sampling;
using Detector.Modules.Results.Contracts;

namespace Detector.Tests.Unit.Labeling;

/// <summary>Each strategy on a crafted stream of results: it picks exactly what it should.</summary>
public sealed class StrategyTests
{
    private static readonly Guid Tenant = Guid.Parse("11111111-1111-1111-1111-111111111111");

    internal static Candidate Result(int n, params (string Label, float Score)[] detections) => new(
        new Guid(n, 0, 0, [0, 0, 0, 0, 0, 0, 0, 1]), Tenant, DateTimeOffset.UnixEpoch.AddSeconds(n), "m", "1", n.ToString("x64"), 640, 480,
        [.. detections.Select(d => new DetectedObject(d.Label, 0, d.Score, [10, 10, 50, 50]))]);

    private static List<int> Picked(ISamplingStrategy strategy, IEnumerable<Candidate> stream)
    {
        var picker = new StrategyPicker([new ConfiguredStrategy(strategy, true, 1.0, int.MaxValue)], new Dictionary<(Guid, string), int>());
        return [.. stream.Where(c => picker.Pick(c) is not null).Select(c => c.ResultId.ToByteArray()[0] | (c.ResultId.ToByteArray()[1] << 8))];
    }

    [Fact]
    public void LowConfidence_picks_results_with_a_detection_scored_within_its_bounds_inclusive()
    {
        var stream = new[]
        {
            Result(1, ("cat", 0.9f)),
            Result(2, ("cat", 0.9f), ("dog", 0.4f)),
            Result(3),
            Result(4, ("dog", 0.3f)),
            Result(5, ("dog", 0.5f)),
            Result(6, ("dog", 0.29f), ("cat", 0.51f)),
        };

        Assert.Equal(new[] { 2, 4, 5 }, Picked(new LowConfidenceStrategy(0.3, 0.5), stream));
    }

    [Fact]
    public void ShadowDisagreement_picks_only_results_whose_photo_got_a_disagreement()
    {
        var stream = new[] { Result(1, ("cat", 0.9f)), Result(2) with { HasDisagreement = true }, Result(3, ("dog", 0.2f)), Result(4) with { HasDisagreement = true } };

        Assert.Equal(new[] { 2, 4 }, Picked(new ShadowDisagreementStrategy(), stream));
    }

    [Fact]
    public void Feedback_picks_only_results_with_queued_feedback()
    {
        var stream = new[] { Result(1) with { HasQueuedFeedback = true }, Result(2, ("cat", 0.4f)), Result(3) with { HasQueuedFeedback = true, HasDisagreement = true } };

        Assert.Equal(new[] { 1, 3 }, Picked(new FeedbackStrategy(), stream));
    }

    [Fact]
    public void Random_wants_every_result_and_its_share_takes_about_that_fraction()
    {
        var stream = Enumerable.Range(1, 4000).Select(n => Result(n)).ToList();
        Assert.Equal(4000, Picked(new RandomStrategy(), stream).Count);

        var picker = new StrategyPicker([new ConfiguredStrategy(new RandomStrategy(), true, 0.1, int.MaxValue)], new Dictionary<(Guid, string), int>());
        var taken = stream.Count(c => picker.Pick(c) is not null);
        Assert.InRange(taken, 320, 480);
    }

    [Fact]
    public void RareClass_picks_a_class_below_its_share_of_the_recent_window_once_the_window_is_full_enough()
    {
        // 10 results of cats only, then a giraffe: 0 of the last 10 had one (< 20 %): picked. Before
        // 5 results nothing is judged, so an early giraffe is not picked; cats never are.
        var stream = new List<Candidate> { Result(1, ("giraffe", 0.9f)) };
        stream.AddRange(Enumerable.Range(2, 10).Select(n => Result(n, ("cat", 0.9f))));
        stream.Add(Result(12, ("giraffe", 0.8f), ("cat", 0.9f)));
        stream.Add(Result(13, ("cat", 0.9f)));
        // The window (10) still holds result 12's giraffe: 1 of 10 is 10 % (< 20 %), picked again.
        stream.Add(Result(14, ("giraffe", 0.7f)));
        // Two giraffes in the last 10: 20 %, no longer rare.
        stream.Add(Result(15, ("giraffe", 0.7f)));

        Assert.Equal(new[] { 12, 14 }, Picked(new RareClassStrategy(maxShare: 0.2, recent: 10, minResults: 5), stream));
    }
}
