using Detector.Modules.Labeling.Consensus;

namespace Detector.Tests.Unit.Labeling;

/// <summary>The consensus rule: one-to-one, same label, IoU ≥ 0.5, every box of both sets matched.</summary>
public sealed class BoxConsensusTests
{
    private static LabelBox Box(string label, double x, double y, double w = 100, double h = 100) => new(label, x, y, w, h);

    [Fact]
    public void Two_sets_whose_every_box_matches_agree_and_the_final_boxes_are_the_mean_of_each_pair()
    {
        var a = new[] { Box("cat", 0, 0), Box("dog", 200, 200) };
        var b = new[] { Box("dog", 210, 190), Box("cat", 10, 10, 110, 90) };

        var outcome = BoxConsensus.Decide(a, b);

        Assert.True(outcome.Agreed);
        Assert.Equal(new[] { new LabelBox("cat", 5, 5, 105, 95), new LabelBox("dog", 205, 195, 100, 100) }, outcome.FinalBoxes);
    }

    [Fact]
    public void A_box_without_a_match_a_different_label_or_too_little_overlap_is_a_dispute()
    {
        Assert.False(BoxConsensus.Decide([Box("cat", 0, 0)], [Box("cat", 0, 0), Box("dog", 300, 300)]).Agreed);
        Assert.False(BoxConsensus.Decide([Box("cat", 0, 0)], [Box("dog", 0, 0)]).Agreed);
        // 50 px shift of a 100 px box: IoU 1/3.
        Assert.False(BoxConsensus.Decide([Box("cat", 0, 0)], [Box("cat", 50, 0)]).Agreed);
        Assert.Null(BoxConsensus.Decide([Box("cat", 0, 0)], [Box("cat", 50, 0)]).FinalBoxes);
        Assert.True(BoxConsensus.Decide([], []).Agreed);
    }

    [Fact]
    public void Matching_is_one_to_one_so_two_boxes_cannot_share_one()
    {
        var a = new[] { Box("cat", 0, 0), Box("cat", 5, 5) };
        var b = new[] { Box("cat", 2, 2) };

        Assert.Single(BoxConsensus.Match(a, b));
        Assert.False(BoxConsensus.Decide(a, b).Agreed);
    }

    [Fact]
    public void Matching_takes_the_highest_overlap_first()
    {
        // b[0] overlaps a[1] more than a[0]; a[0] then still matches b[1].
        var a = new[] { Box("cat", 0, 0), Box("cat", 30, 0) };
        var b = new[] { Box("cat", 28, 0), Box("cat", 0, 10) };

        Assert.Equal(new[] { (1, 0), (0, 1) }, BoxConsensus.Match(a, b));
        Assert.Equal(0.5, BoxConsensus.Iou(Box("cat", 0, 0, 100, 100), Box("cat", 0, 0, 50, 100)), 6);
    }
}
