using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.Reports;

namespace Detector.Tests.Unit.Evaluation;

/// <summary>The report's confusion matrix and calibration on a case small enough to count by hand.</summary>
public sealed class ReportMeasuresTests
{
    // One image. Ground truth: cats at A and D, dogs at B and C.
    private static readonly CocoBox A = new(0, 0, 10, 10), B = new(20, 20, 10, 10), C = new(40, 0, 10, 10), D = new(0, 40, 10, 10), Nowhere = new(50, 50, 10, 10);

    private static readonly CocoDataset Dataset = new(
        [new CocoImage(1, "1.jpg", 100, 100)],
        [new CocoCategory(1, "cat"), new CocoCategory(2, "dog")],
        [new CocoAnnotation(1, 1, 1, A, 100, false), new CocoAnnotation(2, 1, 2, B, 100, false), new CocoAnnotation(3, 1, 2, C, 100, false), new CocoAnnotation(4, 1, 1, D, 100, false)]);

    private static readonly CocoDetection[] Detections =
    [
        new(1, 1, A, 0.95),       // cat on the cat: right
        new(1, 1, A, 0.85),       // the same cat again: a duplicate, wrong
        new(1, 1, C, 0.60),       // a cat on a dog
        new(1, 2, Nowhere, 0.35), // a dog on nothing
        new(1, 2, B, 0.32),       // dog on the dog: right
        new(1, 2, B, 0.10),       // below the confusion matrix's threshold, in the calibration
    ];

    [Fact]
    public void The_confusion_matrix_pairs_boxes_by_overlap_whatever_their_classes_and_counts_misses_and_false_alarms_against_background()
    {
        var matrix = ClassConfusion.Measure(Dataset, Detections, minScore: 0.25);

        Assert.Equal(["cat", "dog", "background"], matrix.Labels);
        Assert.Equal([1, 0, 1], matrix.Counts[0]); // cat: found as cat; D missed
        Assert.Equal([1, 1, 0], matrix.Counts[1]); // dog: C taken for a cat; B found as dog
        Assert.Equal([1, 1, 0], matrix.Counts[2]); // background: the duplicate cat, the dog on nothing
    }

    [Fact]
    public void The_expected_calibration_error_weighs_each_bins_gap_between_accuracy_and_mean_score_by_its_share()
    {
        var calibration = CalibrationMeasure.Measure(Dataset, Detections, minScore: 0.05);

        // Right: 0.95 (cat on A), 0.32 (first dog on B). Wrong: 0.85, 0.60, 0.35, 0.10 (B taken already).
        Assert.Equal(6, calibration.Detections);
        Assert.Equal(10, calibration.Bins.Count);
        Assert.Equal((1, 0.95, 1.0), (calibration.Bins[9].Count, calibration.Bins[9].MeanScore, calibration.Bins[9].Accuracy));
        Assert.Equal((2, 0.335, 0.5), (calibration.Bins[3].Count, Math.Round(calibration.Bins[3].MeanScore, 6), calibration.Bins[3].Accuracy));
        Assert.Equal((1, 0.0), (calibration.Bins[1].Count, calibration.Bins[1].Accuracy));
        var expected = ((1 / 6.0) * 0.05) + ((1 / 6.0) * 0.85) + ((1 / 6.0) * 0.60) + ((2 / 6.0) * Math.Abs(0.5 - 0.335)) + ((1 / 6.0) * 0.10);
        Assert.Equal(expected, calibration.ExpectedCalibrationError, 10);
    }
}
