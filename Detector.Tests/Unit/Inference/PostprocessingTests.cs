using Detector.Modules.Inference.Postprocessing;
using Detector.Modules.Inference.Runtime;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Tests.Unit.Inference;

public sealed class PostprocessingTests
{
    private const int Precision = 3;

    [Fact]
    public void Nms_suppresses_overlapping_boxes_of_the_same_class_only()
    {
        Candidate[] candidates =
        [
            Box(1, 1, 11, 11, 0.8f, classId: 0),
            Box(0, 0, 10, 10, 0.7f, classId: 1),
            Box(0, 0, 10, 10, 0.9f, classId: 0),
        ];

        var kept = Nms.Run(candidates, iouThreshold: 0.5f, maxKeep: 10);

        Assert.Equal(2, kept);
        Assert.Equal((0.9f, 0), (candidates[0].Score, candidates[0].ClassId));
        Assert.Equal((0.7f, 1), (candidates[1].Score, candidates[1].ClassId));
    }

    [Fact]
    public void Nms_keeps_at_most_max_detections_highest_first()
    {
        var scores = new[] { 0.3f, 0.9f, 0.5f, 0.7f, 0.1f };
        var candidates = scores.Select((s, i) => Box(i * 20, 0, (i * 20) + 10, 10, s, classId: 0)).ToArray();

        var kept = Nms.Run(candidates, iouThreshold: 0.5f, maxKeep: 3);

        Assert.Equal(3, kept);
        Assert.Equal([0.9f, 0.7f, 0.5f], candidates[..kept].Select(c => c.Score));
    }

    [Fact]
    public void Only_the_best_scoring_candidates_up_to_the_cap_take_part_in_nms()
    {
        // 300,000 disjoint boxes with scores spread over [0, 1): what min_score=0 lets through.
        var random = new Random(3);
        var candidates = Enumerable.Range(0, 300_000).Select(i => Box(i * 20, 0, (i * 20) + 10, 10, (float)random.NextDouble(), classId: i % 80)).ToArray();
        var tenThousandth = candidates.Select(c => c.Score).OrderDescending().ElementAt(Nms.MaxCandidates - 1);

        var front = Nms.KeepBest(candidates, Nms.MaxCandidates);

        Assert.Equal(Nms.MaxCandidates, front);
        // Everything kept is within one score bin (1/1024) of the true top 10,000.
        Assert.All(candidates[..front], c => Assert.True(c.Score >= tenThousandth - (1f / 1024), $"{c.Score} < {tenThousandth}"));
        Assert.Equal(1000, Nms.Run(candidates, iouThreshold: 0.5f, maxKeep: 1000));
        Assert.True(candidates[0].Score >= candidates[999].Score);
    }

    [Fact]
    public void Capping_candidates_with_equal_scores_keeps_exactly_the_cap()
    {
        var candidates = Enumerable.Range(0, 25_000).Select(i => Box(i * 20, 0, (i * 20) + 10, 10, 0.25f, classId: 0)).ToArray();

        Assert.Equal(Nms.MaxCandidates, Nms.KeepBest(candidates, Nms.MaxCandidates));
    }

    [Fact]
    public void Iou_of_disjoint_boxes_is_zero()
    {
        var a = Box(0, 0, 10, 10, 1, 0);

        Assert.Equal(0f, Nms.Iou(a, Box(20, 20, 30, 30, 1, 0)));
        Assert.Equal(0f, Nms.Iou(a, Box(10, 0, 20, 10, 1, 0)));
        Assert.Equal(1f, Nms.Iou(a, a), Precision);
        Assert.Equal(25f / 175f, Nms.Iou(a, Box(5, 5, 15, 15, 1, 0)), Precision);
    }

    [Fact]
    public void Yolox_rows_decode_grid_offsets_exp_sizes_and_obj_times_class_scores()
    {
        var manifest = Manifest(ModelFamily.Yolox, centerOffset: 0);

        // 16x16 input: stride 8 gives a 2x2 grid (rows 0..3, row-major), stride 16 one cell (row 4).
        const int Width = 7;
        var rows = new float[5 * Width];
        float[] cell11 = [0.5f, 0.5f, MathF.Log(2), 0f, 0.8f, 0.5f, 0.9f];
        float[] coarse = [0.75f, 0.75f, 0f, 0f, 0.9f, 0.1f, 0.5f];
        cell11.CopyTo(rows, 3 * Width);
        coarse.CopyTo(rows, 4 * Width);
        var layout = new OutputLayout(["output"], [[1, 5, Width]], []);
        var transform = new InputTransform(ScaleX: 0.5f, ScaleY: 0.25f, OffsetX: 2, OffsetY: 4, OriginalWidth: 100, OriginalHeight: 100);

        var found = Decode(manifest, layout, rows, transform, minScore: 0.3f);

        Assert.Equal(3, found.Length);

        // Cell (1,1) at stride 8: centre ((0.5+1)*8, (0.5+1)*8) = (12,12), size (2*8, 1*8) -> (4,8)-(20,16) in input pixels.
        AssertCandidate(found[0], 4, 16, 36, 48, 0.8f * 0.5f, 0);
        AssertCandidate(found[1], 4, 16, 36, 48, 0.8f * 0.9f, 1);

        // The stride-16 cell: centre (12,12), size 16 -> (4,4)-(20,20); class 0 scores 0.09, under the threshold.
        AssertCandidate(found[2], 4, 0, 36, 64, 0.9f * 0.5f, 1);
    }

    [Fact]
    public void Gfl_levels_decode_dfl_expectations_around_half_cell_anchor_centres()
    {
        var manifest = Manifest(ModelFamily.Gfl, centerOffset: 0.5f) with { DistributionBins = 4 };

        // Output order need not follow the levels: the layout says which output is which.
        var layout = new OutputLayout(
            ["cls8", "cls16", "reg8", "reg16"],
            [[1, 4, 2], [1, 1, 2], [1, 4, 16], [1, 1, 16]],
            [new GflLevel(ScoreOutput: 0, BoxOutput: 2, Stride: 8, Columns: 2, Rows: 2), new GflLevel(ScoreOutput: 1, BoxOutput: 3, Stride: 16, Columns: 1, Rows: 1)]);
        var outputs = new float[layout.TotalPerImage];
        var cls8 = outputs.AsSpan(layout.Offsets[0], 8);
        var cls16 = outputs.AsSpan(layout.Offsets[1], 2);
        var reg8 = outputs.AsSpan(layout.Offsets[2], 64);

        // Anchor 3 of stride 8 is column 1, row 1; its bins peak at 1, 1, 2, 3 for left, top, right, bottom.
        cls8[(3 * 2) + 0] = 0.2f;
        cls8[(3 * 2) + 1] = 0.7f;
        var anchor3 = reg8.Slice(3 * 16, 16);
        anchor3[0 + 1] = 50;
        anchor3[4 + 1] = 50;
        anchor3[8 + 2] = 50;
        anchor3[12 + 3] = 50;

        // The stride-16 anchor keeps flat logits: the expectation of a uniform distribution over 4 bins is 1.5.
        cls16[0] = 0.6f;
        cls16[1] = 0.1f;
        var transform = new InputTransform(ScaleX: 0.5f, ScaleY: 0.5f, OffsetX: -20, OffsetY: -20, OriginalWidth: 200, OriginalHeight: 200);

        var found = Decode(manifest, layout, outputs, transform, minScore: 0.3f);

        Assert.Equal(2, found.Length);

        // Centre ((1+0.5)*8, (1+0.5)*8) = (12,12); distances (8, 8, 16, 24) -> (4,4)-(28,36) in input pixels.
        AssertCandidate(found[0], 48, 48, 96, 112, 0.7f, 1);

        // Centre (8,8); distances 1.5*16 = 24 on every side -> (-16,-16)-(32,32) in input pixels.
        AssertCandidate(found[1], 8, 8, 104, 104, 0.6f, 0);
    }

    private static Candidate[] Decode(ModelManifest manifest, OutputLayout layout, float[] outputs, InputTransform transform, float minScore)
    {
        var buffer = new CandidateBuffer(1);
        try
        {
            HeadDecoder.Decode(manifest, layout, outputs, transform, minScore, ref buffer);
            return buffer.Span.ToArray();
        }
        finally
        {
            buffer.Dispose();
        }
    }

    private static ModelManifest Manifest(ModelFamily family, float centerOffset) => new()
    {
        Name = "tiny",
        Version = "000000000000",
        FilePath = "tiny.onnx",
        Family = family,
        InputName = "images",
        Preprocess = new PreprocessSpec(16, 16, ColorOrder.Rgb, ResizeMode.Stretch, 0, [0, 0, 0], [1, 1, 1]),
        Strides = [8, 16],
        CenterOffset = centerOffset,
        Labels = ["cat", "dog"],
    };

    private static Candidate Box(float x1, float y1, float x2, float y2, float score, int classId) =>
        new() { X1 = x1, Y1 = y1, X2 = x2, Y2 = y2, Score = score, ClassId = classId };

    private static void AssertCandidate(Candidate c, float x1, float y1, float x2, float y2, float score, int classId)
    {
        Assert.Equal(classId, c.ClassId);
        Assert.Equal(score, c.Score, Precision);
        Assert.Equal(x1, c.X1, Precision);
        Assert.Equal(y1, c.Y1, Precision);
        Assert.Equal(x2, c.X2, Precision);
        Assert.Equal(y2, c.Y2, Precision);
    }
}
