using System.Runtime.CompilerServices;
using Detector.Modules.Evaluation.Coco;

namespace Detector.Tests.Unit.Evaluation;

/// <summary>
/// Bit-for-bit agreement with pycocotools' own evaluate/accumulate/summarize code, run as plain
/// Python (numpy calls replaced one for one, numpy's pairwise summation for the means) on the
/// shared 31-image COCO set and a synthetic results file: jittered ground-truth boxes, wrong
/// classes, duplicates, random clutter, two images with more than 100 detections, crowds.
/// </summary>
public sealed class CocoEvaluatorReferenceTests
{
    private static readonly double[] ExpectedStats =
    [
        0.2803507432982689,
        0.5505644729432928,
        0.23855269945801438,
        0.3224941243227456,
        0.31051641929757046,
        0.3220873656859867,
        0.29863223242507414,
        0.4129719911004813,
        0.4157651528458976,
        0.3788149834190207,
        0.4202820616883117,
        0.4539614121510673,
    ];

    [Fact]
    public async Task The_shared_COCO_subset_scores_exactly_as_pycocotools_does()
    {
        // The dataset lives beside the repository (../shared); a missing one fails the test, it does not skip it.
        var annotations = Path.Combine(TestPaths.Coco, "annotations", "instances_val2017.json");
        Assert.True(File.Exists(annotations), $"the shared COCO annotations are missing: {annotations}");

        var groundTruth = CocoDataset.Load(annotations);
        var results = CocoResultsFile.Parse(await File.ReadAllTextAsync(Path.Combine(HereDirectory(), "Fixtures", "coco-ccby-synthetic-results.json")));

        var evaluation = CocoEvaluator.Evaluate(groundTruth, results);

        Assert.Equal(ExpectedStats, evaluation.Stats);
        Assert.Equal(0.08505410532767603, evaluation.PerCategoryAp[1]);
        Assert.Equal(0.18534653465346534, evaluation.PerCategoryAp[2]);
        Assert.Equal(0.3029702970297029, evaluation.PerCategoryAp[4]);
        Assert.Equal(52, evaluation.PerCategoryAp.Count(kv => kv.Value > -1));
    }

    private static string HereDirectory([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
