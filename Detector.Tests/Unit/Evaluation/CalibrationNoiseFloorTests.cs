using Detector.Modules.Evaluation.Reports;

namespace Detector.Tests.Unit.Evaluation;

public sealed class CalibrationNoiseFloorTests
{
    private static double[] Scores(int count) => [.. Enumerable.Range(0, count).Select(i => 0.05 + (0.9 * i / count))];

    [Fact]
    public void Perfect_calibration_still_measures_an_ece_on_a_small_sample_and_less_on_a_larger_one()
    {
        var small = CalibrationMeasure.NoiseFloor(Scores(500));
        var large = CalibrationMeasure.NoiseFloor(Scores(50_000));

        // About sqrt(p(1-p)/n) per bin: a few hundredths for 500 detections, half a thousandth for 50,000.
        Assert.InRange(small, 0.01, 0.06);
        Assert.InRange(large, 0.0005, 0.006);
        Assert.True(large < small / 5);
    }

    [Fact]
    public void The_noise_floor_is_the_same_for_the_same_scores()
    {
        var scores = Scores(800);

        Assert.Equal(CalibrationMeasure.NoiseFloor(scores), CalibrationMeasure.NoiseFloor(scores));
        Assert.Equal(0, CalibrationMeasure.NoiseFloor([]));
    }
}
