using Detector.Modules.Evaluation.Coco;

namespace Detector.Tests.Unit.Evaluation;

/// <summary>
/// Hand-computed COCOeval cases. Stats index: 0 AP, 1 AP50, 2 AP75, 3-5 AP small/medium/large,
/// 6-8 AR1/AR10/AR100, 9-11 AR small/medium/large.
/// </summary>
public sealed class CocoEvaluatorTests
{
    private const int Precision = 12;

    [Fact]
    public void Perfect_detections_score_an_AP_of_one()
    {
        var gt = Dataset(
            Gt(1, image: 1, category: 1, 10, 10, 50, 50),
            Gt(2, image: 1, category: 1, 100, 100, 40, 30),
            Gt(3, image: 2, category: 1, 5, 5, 200, 150));
        var dets = gt.Annotations.Select(a => new CocoDetection(a.ImageId, a.CategoryId, a.Box, 0.9)).ToList();

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(1.0, result.Stats[0], Precision);
        Assert.Equal(1.0, result.Stats[1], Precision);
        Assert.Equal(1.0, result.Stats[2], Precision);
        Assert.Equal(1.0, result.Stats[8], Precision);
        Assert.Equal(1.0, result.PerCategoryAp[1], Precision);
    }

    [Fact]
    public void No_detections_score_zero_not_undefined()
    {
        var gt = Dataset(Gt(1, image: 1, category: 1, 10, 10, 50, 50));

        var result = CocoEvaluator.Evaluate(gt, []);

        Assert.Equal(0.0, result.Stats[0]);
        Assert.Equal(0.0, result.Stats[1]);
        Assert.Equal(0.0, result.Stats[8]);
        Assert.Equal(0.0, result.PerCategoryAp[1]);
    }

    [Fact]
    public void A_detection_with_IoU_between_055_and_06_counts_at_two_of_ten_thresholds()
    {
        // GT 10x10, detection 10x5.8: intersection 58, union 100, IoU 0.58.
        // Matched at .50 and .55 (precision 1 at every recall level), missed at the other eight.
        var gt = Dataset(Gt(1, image: 1, category: 1, 0, 0, 10, 10));
        var dets = new[] { Det(1, 1, 0, 0, 5.8, 10, 0.9) };

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(0.2, result.Stats[0], Precision);
        Assert.Equal(1.0, result.Stats[1], Precision);
        Assert.Equal(0.0, result.Stats[2]);
        Assert.Equal(0.2, result.Stats[8], Precision);
    }

    [Fact]
    public void A_detection_with_IoU_exactly_06_also_matches_at_the_06_threshold()
    {
        // 60/100 is the same double as numpy's linspace(.5, .95, 10)[2], and COCOeval skips a
        // pair only when iou < threshold, so IoU 0.6 matches at .50, .55 and .60: AP 0.3, not 0.2.
        var gt = Dataset(Gt(1, image: 1, category: 1, 0, 0, 10, 10));
        var dets = new[] { Det(1, 1, 0, 0, 6, 10, 0.9) };

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(0.3, result.Stats[0], Precision);
        Assert.Equal(0.6, CocoEvaluator.IouThresholds[2]);
    }

    [Fact]
    public void A_crowd_region_absorbs_detections_without_false_positives()
    {
        // Three detections inside the crowd box: IoU to a crowd is intersection / detection area = 1,
        // so they match the (ignored) crowd and are ignored, even though they outscore the true positive.
        var crowd = Dataset(
            Gt(1, image: 1, category: 1, 0, 0, 40, 40),
            Gt(2, image: 1, category: 1, 100, 100, 200, 200, crowd: true));
        var dets = new[]
        {
            Det(1, 1, 110, 110, 20, 20, 0.95),
            Det(1, 1, 150, 150, 30, 30, 0.94),
            Det(1, 1, 200, 120, 50, 60, 0.93),
            Det(1, 1, 0, 0, 40, 40, 0.5),
        };

        var result = CocoEvaluator.Evaluate(crowd, dets);

        Assert.Equal(1.0, result.Stats[0], Precision);

        // The same boxes against a regular object: the three are now false positives ranked
        // above the only true positive, so precision at recall 1 is 1/4 everywhere.
        var regular = Dataset(
            Gt(1, image: 1, category: 1, 0, 0, 40, 40),
            Gt(2, image: 1, category: 1, 100, 100, 200, 200, crowd: false));
        var withoutCrowd = CocoEvaluator.Evaluate(regular, dets);

        // Recall 0.5 reached at the 4th detection (precision 0.25) for recall levels 0..0.5 (51 of 101).
        Assert.Equal(0.25 * 51 / 101, withoutCrowd.Stats[0], Precision);
    }

    [Fact]
    public void Detections_beyond_one_hundred_per_image_are_dropped()
    {
        var gt = Dataset(Gt(1, image: 1, category: 1, 0, 0, 10, 10));

        // 99 confident false positives far from the object, then the perfect box: it is the
        // 100th detection, so it counts, with precision 1/100 at every recall level.
        var result99 = CocoEvaluator.Evaluate(gt, [.. FalsePositives(99), Det(1, 1, 0, 0, 10, 10, 0.5)]);
        Assert.Equal(0.01, result99.Stats[0], Precision);
        Assert.Equal(1.0, result99.Stats[8], Precision);

        // With 100 false positives ahead of it, it is the 101st and never seen.
        var result100 = CocoEvaluator.Evaluate(gt, [.. FalsePositives(100), Det(1, 1, 0, 0, 10, 10, 0.5)]);
        Assert.Equal(0.0, result100.Stats[0]);
        Assert.Equal(0.0, result100.Stats[8]);

        static IEnumerable<CocoDetection> FalsePositives(int count) =>
            Enumerable.Range(0, count).Select(i => Det(1, 1, 1000 + (i * 20), 1000, 10, 10, 0.9));
    }

    [Fact]
    public void Fewer_allowed_detections_lower_average_recall()
    {
        // Two objects, two perfect detections: AR@1 sees only the better one.
        var gt = Dataset(
            Gt(1, image: 1, category: 1, 0, 0, 10, 10),
            Gt(2, image: 1, category: 1, 50, 50, 10, 10));
        var dets = new[] { Det(1, 1, 0, 0, 10, 10, 0.9), Det(1, 1, 50, 50, 10, 10, 0.8) };

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(0.5, result.Stats[6], Precision);
        Assert.Equal(1.0, result.Stats[7], Precision);
        Assert.Equal(1.0, result.Stats[8], Precision);
    }

    [Fact]
    public void Area_ranges_classify_ground_truth_by_its_area_field_not_its_box()
    {
        // A 50x50 box (2500 px, medium) whose segment area is 500 (small).
        var gt = Dataset(Gt(1, image: 1, category: 1, 0, 0, 50, 50, area: 500));
        var dets = new[] { Det(1, 1, 0, 0, 50, 50, 0.9) };

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(1.0, result.Stats[3], Precision);

        // Medium: the object is ignored there, and the detection matches it, so it is ignored too;
        // with no object left the range is undefined (-1), not zero. Large likewise.
        Assert.Equal(-1.0, result.Stats[4]);
        Assert.Equal(-1.0, result.Stats[5]);
        Assert.Equal(1.0, result.Stats[9], Precision);
        Assert.Equal(-1.0, result.Stats[10]);
        Assert.Equal(-1.0, result.Stats[11]);
    }

    [Fact]
    public void Small_medium_and_large_objects_fall_into_their_own_ranges()
    {
        var gt = Dataset(
            Gt(1, image: 1, category: 1, 0, 0, 20, 20),        // 400: small
            Gt(2, image: 1, category: 1, 100, 100, 50, 50),    // 2500: medium
            Gt(3, image: 1, category: 1, 300, 300, 200, 200)); // 40000: large

        // Only the medium one is found; the small and large ranges get AP 0, medium 1.
        var dets = new[] { Det(1, 1, 100, 100, 50, 50, 0.9) };

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(0.0, result.Stats[3]);
        Assert.Equal(1.0, result.Stats[4], Precision);
        Assert.Equal(0.0, result.Stats[5]);

        // Area all: recall 1/3 reached with precision 1 at recall levels 0..0.33 (34 of 101).
        Assert.Equal(34.0 / 101, result.Stats[0], Precision);
    }

    [Fact]
    public void Two_classes_average_their_APs()
    {
        // Class 1 found perfectly (AP 1); class 2 found with IoU 0.58 (AP 0.2): mean 0.6.
        var gt = Dataset(
            Gt(1, image: 1, category: 1, 0, 0, 10, 10),
            Gt(2, image: 1, category: 2, 100, 100, 10, 10));
        var dets = new[] { Det(1, 1, 0, 0, 10, 10, 0.9), Det(1, 2, 100, 100, 5.8, 10, 0.9) };

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(1.0, result.PerCategoryAp[1], Precision);
        Assert.Equal(0.2, result.PerCategoryAp[2], Precision);
        Assert.Equal(0.6, result.Stats[0], Precision);
        Assert.Equal(1.0, result.Stats[1], Precision);
    }

    [Fact]
    public void Categories_without_ground_truth_are_left_out_of_the_mean()
    {
        // Category 3 is declared but has no objects; detections of it are not false positives for
        // anyone and its AP is undefined (-1), so the mean stays that of category 1.
        var gt = Dataset(Gt(1, image: 1, category: 1, 0, 0, 10, 10));
        var dets = new[] { Det(1, 1, 0, 0, 10, 10, 0.9), Det(1, 3, 0, 0, 10, 10, 0.99) };

        var result = CocoEvaluator.Evaluate(gt, dets);

        Assert.Equal(1.0, result.Stats[0], Precision);
        Assert.Equal(-1.0, result.PerCategoryAp[3]);
        Assert.Equal(-1.0, result.PerCategoryAp[2]);
    }

    [Fact]
    public void A_matched_object_is_not_matched_twice()
    {
        // Duplicate detection of one object: the second is a false positive.
        // Ranked: TP (p=1, r=1), FP. Envelope keeps precision 1 up to recall 1: AP 1.
        // Reversed scores would make it FP then TP: precision 1/2 at every level.
        var gt = Dataset(Gt(1, image: 1, category: 1, 0, 0, 10, 10));
        var tpFirst = CocoEvaluator.Evaluate(gt, [Det(1, 1, 0, 0, 10, 10, 0.9), Det(1, 1, 0, 0, 10, 9, 0.8)]);
        var fpFirst = CocoEvaluator.Evaluate(gt, [Det(1, 1, 50, 50, 10, 10, 0.9), Det(1, 1, 0, 0, 10, 10, 0.8)]);

        Assert.Equal(1.0, tpFirst.Stats[1], Precision);
        Assert.Equal(0.5, fpFirst.Stats[1], Precision);
    }

    [Fact]
    public void Detections_on_images_outside_the_ground_truth_are_rejected()
    {
        var gt = Dataset(Gt(1, image: 1, category: 1, 0, 0, 10, 10));

        Assert.Throws<ArgumentException>(() => CocoEvaluator.Evaluate(gt, [Det(99, 1, 0, 0, 10, 10, 0.9)]));
    }

    [Fact]
    public async Task Results_written_to_a_file_read_back_to_the_same_evaluation()
    {
        var gt = Dataset(Gt(1, image: 1, category: 1, 0.3, 0.7, 10.1, 10.9));
        var dets = new[] { Det(1, 1, 0.1234567f, 0.7654321f, 9.87654f, 11.1f, 0.8259999752044678) };
        var path = Path.Combine(Path.GetTempPath(), $"coco-results-{Guid.NewGuid():N}.json");
        try
        {
            await CocoResultsFile.WriteAsync(path, dets, CancellationToken.None);
            var read = CocoResultsFile.Parse(await File.ReadAllTextAsync(path));

            Assert.Equal(dets, read);
            Assert.Equal(CocoEvaluator.Evaluate(gt, dets).Stats, CocoEvaluator.Evaluate(gt, read).Stats);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Instances_json_is_parsed_with_areas_crowds_and_categories()
    {
        const string json = """
            {
              "images": [{"id": 7, "file_name": "a.jpg", "width": 640, "height": 480}],
              "annotations": [
                {"id": 3, "image_id": 7, "category_id": 18, "bbox": [1.5, 2, 30, 40], "area": 900.25, "iscrowd": 1, "segmentation": {"counts": [1], "size": [480, 640]}}
              ],
              "categories": [{"id": 18, "name": "dog", "supercategory": "animal"}]
            }
            """;

        var dataset = CocoDataset.Parse(json);

        Assert.Equal(new CocoImage(7, "a.jpg", 640, 480), Assert.Single(dataset.Images));
        Assert.Equal(new CocoCategory(18, "dog"), Assert.Single(dataset.Categories));
        var annotation = Assert.Single(dataset.Annotations);
        Assert.Equal(new CocoBox(1.5, 2, 30, 40), annotation.Box);
        Assert.Equal(900.25, annotation.Area);
        Assert.True(annotation.IsCrowd);

        var scaled = dataset.Scale(2);
        Assert.Equal(new CocoBox(3, 4, 60, 80), scaled.Annotations[0].Box);
        Assert.Equal(3601.0, scaled.Annotations[0].Area);
        Assert.Equal(1280, scaled.Images[0].Width);
    }

    [Fact]
    public void Pairwise_sum_matches_plain_sum_on_exact_values()
    {
        var values = Enumerable.Range(1, 1000).Select(i => (double)i).ToArray();

        Assert.Equal(500500.0, CocoEvaluator.PairwiseSum(values));
    }

    private static CocoDataset Dataset(params CocoAnnotation[] annotations)
    {
        var images = annotations.Select(a => a.ImageId).Append(1).Distinct().Order()
            .Select(id => new CocoImage(id, $"{id}.jpg", 1000, 1000)).ToList();
        var categories = new[] { new CocoCategory(1, "one"), new CocoCategory(2, "two"), new CocoCategory(3, "three") };
        return new CocoDataset(images, categories, annotations);
    }

    private static CocoAnnotation Gt(long id, long image, int category, double x, double y, double w, double h, bool crowd = false, double? area = null) =>
        new(id, image, category, new CocoBox(x, y, w, h), area ?? w * h, crowd);

    private static CocoDetection Det(long image, int category, double x, double y, double w, double h, double score) =>
        new(image, category, new CocoBox(x, y, w, h), score);
}
