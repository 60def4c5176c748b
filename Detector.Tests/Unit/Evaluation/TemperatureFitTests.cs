using Detector.Modules.Evaluation.Reports;
using Detector.Modules.Models.Contracts;

namespace Detector.Tests.Unit.Evaluation;

public sealed class TemperatureFitTests
{
    /// <summary>Scores over-confident by a known temperature: at each true rate p, raw scores are p sharpened by T, and a share p of them is right.</summary>
    private static List<(double Score, int CategoryId, bool Right)> Sharpened(double temperature, int category, int perRate = 40)
    {
        var items = new List<(double, int, bool)>();
        for (var p = 0.05; p < 0.96; p += 0.05)
        {
            var raw = ScoreCalibration.Scale(p, 1 / temperature);
            var right = (int)Math.Round(p * perRate);
            for (var i = 0; i < perRate; i++)
            {
                items.Add((raw, category, i < right));
            }
        }

        return items;
    }

    [Fact]
    public void The_fit_recovers_the_temperature_that_makes_scores_match_how_often_they_are_right()
    {
        var (temperature, _) = TemperatureFit.Fit(Sharpened(2.5, category: 1));

        Assert.InRange(temperature, 2.5 * 0.97, 2.5 * 1.03);
        Assert.InRange(ScoreCalibration.Scale(ScoreCalibration.Scale(0.8, 1 / 2.5), temperature), 0.79, 0.81);
    }

    [Fact]
    public void A_class_with_enough_detections_of_both_kinds_gets_its_own_temperature_and_a_rare_one_the_shared_one()
    {
        var items = Sharpened(2.0, category: 1).Concat(Sharpened(0.5, category: 2)).Concat(Sharpened(3.0, category: 3, perRate: 1)).ToList();

        var (_, perCategory) = TemperatureFit.Fit(items);

        Assert.Equal([1, 2], perCategory.Keys.Order());
        Assert.InRange(perCategory[1], 1.94, 2.06);
        Assert.InRange(perCategory[2], 0.485, 0.515);
        Assert.Equal(TemperatureFit.Fit(items).PerCategory, perCategory); // the same labels, the same temperatures
    }
}
