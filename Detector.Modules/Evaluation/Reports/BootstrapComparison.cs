using Detector.Modules.Evaluation.Coco;

namespace Detector.Modules.Evaluation.Reports;

/// <summary>One number of two evaluations: each side's value on the dataset, their difference (B - A) and the bootstrap's view of it.</summary>
/// <param name="Ci95">The 2.5th and 97.5th percentiles of the difference over the resamples.</param>
/// <param name="ShareNotBetter">The share of resamples where B is not above A: small means B is better beyond image sampling luck.</param>
internal sealed record ComparedValue(double A, double B, double Delta, double[]? Ci95, double? ShareNotBetter);

internal sealed record ComparedClass(string Name, int CategoryId, ComparedValue Ap);

internal sealed record BootstrapResult(int Images, int Samples, int Seed, ComparedValue Map, IReadOnlyList<ComparedClass> Classes);

/// <summary>
/// Two evaluations of the same dataset compared by bootstrap over images: the images are drawn
/// with replacement (each draw a copy under a new id, with its ground truth and both sides'
/// detections), both sides are scored on the same draw, and the spread of B - A over the draws
/// says whether a difference is more than which images happened to be in the dataset. The draws
/// come from a fixed seed, so the same two evaluations always compare the same.
/// </summary>
internal static class BootstrapComparison
{
    public static BootstrapResult Compare(CocoDataset dataset, IReadOnlyList<long> imageIds, IReadOnlyList<CocoDetection> a, IReadOnlyList<CocoDetection> b, int samples, int seed)
    {
        var names = dataset.Categories.GroupBy(c => c.Id).ToDictionary(g => g.Key, g => g.First().Name);
        var fullA = CocoEvaluator.Evaluate(dataset, a, imageIds);
        var fullB = CocoEvaluator.Evaluate(dataset, b, imageIds);
        var truth = dataset.Annotations.ToLookup(x => x.ImageId);
        var (byImageA, byImageB) = (a.ToLookup(d => d.ImageId), b.ToLookup(d => d.ImageId));
        var images = dataset.Images.ToDictionary(i => i.Id);
        var random = new Random(seed);
        var mapDeltas = new List<double>(samples);
        var classDeltas = fullA.CategoryIds.ToDictionary(c => c, _ => new List<double>(samples));
        for (var s = 0; s < samples; s++)
        {
            var drawnImages = new List<CocoImage>(imageIds.Count);
            var drawnTruth = new List<CocoAnnotation>();
            var (drawnA, drawnB) = (new List<CocoDetection>(), new List<CocoDetection>());
            for (var k = 0; k < imageIds.Count; k++)
            {
                var id = imageIds[random.Next(imageIds.Count)];
                var copy = k + 1L;
                drawnImages.Add(images[id] with { Id = copy });
                drawnTruth.AddRange(truth[id].Select(t => t with { Id = (copy * 1_000_000) + drawnTruth.Count, ImageId = copy }));
                drawnA.AddRange(byImageA[id].Select(d => d with { ImageId = copy }));
                drawnB.AddRange(byImageB[id].Select(d => d with { ImageId = copy }));
            }

            var draw = new CocoDataset(drawnImages, dataset.Categories, drawnTruth);
            var ids = drawnImages.Select(i => i.Id).ToList();
            var (ea, eb) = (CocoEvaluator.Evaluate(draw, drawnA, ids), CocoEvaluator.Evaluate(draw, drawnB, ids));
            mapDeltas.Add(eb.Stats[0] - ea.Stats[0]);
            foreach (var (category, deltas) in classDeltas)
            {
                if (ea.PerCategoryAp.TryGetValue(category, out var apA) && eb.PerCategoryAp.TryGetValue(category, out var apB) && apA > -1 && apB > -1)
                {
                    deltas.Add(apB - apA);
                }
            }
        }

        var classes = fullA.CategoryIds
            .Where(c => fullA.PerCategoryAp.GetValueOrDefault(c, -1) > -1 && fullB.PerCategoryAp.GetValueOrDefault(c, -1) > -1)
            .Select(c => new ComparedClass(names[c], c, Value(fullA.PerCategoryAp[c], fullB.PerCategoryAp[c], classDeltas[c])))
            .ToList();
        return new BootstrapResult(imageIds.Count, samples, seed, Value(fullA.Stats[0], fullB.Stats[0], mapDeltas), classes);
    }

    private static ComparedValue Value(double a, double b, List<double> deltas)
    {
        if (deltas.Count == 0)
        {
            return new ComparedValue(a, b, b - a, null, null); // the class was never in both sides' draws
        }

        deltas.Sort();
        double Percentile(double p) => deltas[Math.Clamp((int)Math.Floor(p * (deltas.Count - 1)), 0, deltas.Count - 1)];
        return new ComparedValue(a, b, b - a, [Percentile(0.025), Percentile(0.975)], deltas.Count(d => d <= 0) / (double)deltas.Count);
    }
}
