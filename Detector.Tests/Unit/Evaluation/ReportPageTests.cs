using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Evaluation.Coco;
using Detector.Modules.Evaluation.GetEvaluationReportPage;
using Detector.Modules.Evaluation.Reports;
using Detector.Modules.Evaluation.RunEvaluation;
using Detector.Tests.Integration.Evaluation;

namespace Detector.Tests.Unit.Evaluation;

/// <summary>The report page drawn from a small stored report: its plots, its encoding, and the conflicts of an evaluation without a report.</summary>
public sealed class ReportPageTests
{
    private const string Hostile = "<script>alert(1)</script>";

    [Fact]
    public void The_page_inlines_four_plots_as_pngs_that_decode_to_drawn_images_with_their_titles_in_text()
    {
        var html = GetEvaluationReportPageHandler.PageOf(Succeeded());

        var plots = ReportPageKit.Plots(html);
        Assert.Equal(ReportPageKit.PlotIds.Order(), plots.Select(p => p.Id).Order());
        foreach (var plot in plots)
        {
            var ink = ReportPageKit.Measure(plot.Png);
            Assert.True(ink.Width > 300 && ink.Height > 200, $"{plot.Id}: {ink}");
            Assert.True(ink.DistinctColours >= 50, $"{plot.Id}: {ink}");
            Assert.True(ink.NonWhiteShare > 0.03, $"{plot.Id}: {ink}");
            Assert.True(ink.ColouredPixels > 1000, $"{plot.Id}: {ink}");
            Assert.True(ink.TopBandHasDarkText, $"{plot.Id} has no title drawn (no font?): {ink}");
            Assert.False(string.IsNullOrWhiteSpace(plot.Alt), plot.Id);
        }
    }

    [Fact]
    public void Every_string_from_the_report_is_html_encoded_and_the_page_is_accessible_and_fetches_nothing()
    {
        var html = GetEvaluationReportPageHandler.PageOf(Succeeded());

        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", html, StringComparison.Ordinal);
        Assert.Contains("dog &amp; co", html, StringComparison.Ordinal);
        Assert.Contains("<html lang=\"en\">", html, StringComparison.Ordinal);
        Assert.Matches("<title>[^<]+</title>", html);
        Assert.Contains("<h1>", html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"col\">AP50</th>", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("(src|href)=\"(?!data:)", html);
        Assert.DoesNotContain("url(", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(EvaluationStates.Queued, ErrorCodes.EvaluationNotFinished)]
    [InlineData(EvaluationStates.Running, ErrorCodes.EvaluationNotFinished)]
    [InlineData(EvaluationStates.Failed, ErrorCodes.EvaluationFailed)]
    public void An_evaluation_without_a_report_has_no_page_but_a_conflict_with_its_code(string state, string code)
    {
        var row = Succeeded() with { State = state, Report = null, Error = state == EvaluationStates.Failed ? "dataset unreadable" : null };

        var refused = Assert.Throws<DomainException>(() => GetEvaluationReportPageHandler.PageOf(row));

        Assert.Equal(OutcomeKind.Conflict, refused.Kind);
        Assert.Equal(code, refused.Code);
    }

    /// <summary>A succeeded evaluation whose report is built from three classes (two named to test encoding) on four images.</summary>
    private static EvaluationRow Succeeded()
    {
        var images = Enumerable.Range(1, 4).Select(i => new CocoImage(i, $"{i}.jpg", 200, 200)).ToList();
        var categories = new List<CocoCategory> { new(1, "cat"), new(2, "dog & co"), new(3, Hostile) };
        var annotations = new List<CocoAnnotation>();
        var detections = new List<CocoDetection>();
        var id = 0;
        foreach (var image in images)
        {
            for (var k = 0; k < 6; k++)
            {
                var category = 1 + ((k + (int)image.Id) % 3);
                var box = new CocoBox(10 + (k * 30), 10 + (k * 25), 25, 20);
                annotations.Add(new CocoAnnotation(++id, image.Id, category, box, 500, false));
                var score = 0.15 + (0.14 * k);
                var predicted = k == 5 ? 1 + (category % 3) : category; // one confusion per image
                detections.Add(new CocoDetection(image.Id, predicted, k == 4 ? new CocoBox(150, 150, 20, 20) : box, score));
            }
        }

        var report = ReportBuilder.Build(new ReportSubject("yolox_nano_416@" + Hostile, "v1", new string('a', 64), "coco/annotations.json", "coco/images"),
            new CocoDataset(images, categories, annotations), [.. images.Select(i => i.Id)], detections, [12.5, 14, 15.5, 30]);
        var now = DateTime.UtcNow;
        return new EvaluationRow(Guid.NewGuid(), report.Model, "yolox_nano_416", "v1", report.Sha256, report.Annotations, report.Images, EvaluationStates.Succeeded,
            4, 4, 1, JsonSerializer.Serialize(report, EvaluationRunner.Json), null, "test", now, now, now);
    }
}
