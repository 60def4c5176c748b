using System.Net;
using Detector.Modules.Common;
using Detector.Tests.Integration.Models;
using Npgsql;
using Xunit.Abstractions;
using static Detector.Tests.Integration.Evaluation.EvaluationKit;

namespace Detector.Tests.Integration.Evaluation;

/// <summary>
/// The evaluation report page against a real service process: a real evaluation's page carries its
/// four plots as images that decode to drawn plots, and headless Chromium renders it into a
/// screenshot whose colour comes from those plots (the same page without them, rendered the same
/// way, has next to none). The last run's page and screenshots stay in <see cref="Kept"/> to look at.
/// </summary>
[Collection("Jobs")]
public sealed class EvaluationReportPageTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private const string Model = "yolox_nano_416";

    /// <summary>Tall enough for the header, the summary and the four plots at 1280 pixels wide (80 classes would push the confusion matrix past it).</summary>
    private const int Width = 1280, Height = 4000;

    private static readonly string Kept = Path.Combine(Path.GetTempPath(), "detector-report-page");

    [Fact]
    public async Task A_finished_evaluations_report_page_renders_in_headless_chromium_with_its_four_plots_drawn()
    {
        Assert.True(File.Exists(ReportPageKit.Chromium), $"{ReportPageKit.Chromium} is missing: install Debian's chromium (deploy/bootstrap.sh does)");
        var host = await Harness.StartAsync("report", extra: Settings(Path.Combine(TestPaths.Shared, "datasets"), Model));
        using var admin = RegistryKit.Admin(host.BaseUri);
        var id = await StartAsync(admin, Model, "coco-ccby/annotations/instances_val2017.json", "coco-ccby/val2017");
        var report = await WaitAsync(admin, id);

        using var response = await admin.GetAsync($"/v1/admin/evaluations/{id}/report.html");
        var html = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, html);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(report["sha256"]!.GetValue<string>(), html, StringComparison.Ordinal);
        Assert.Contains("<th scope=\"row\">person</th>", html, StringComparison.Ordinal);

        var plots = ReportPageKit.Plots(html);
        Assert.Equal(ReportPageKit.PlotIds.Order(), plots.Select(p => p.Id).Order());
        foreach (var plot in plots)
        {
            var ink = ReportPageKit.Measure(plot.Png);
            Output.WriteLine($"{plot.Id}: {ink}");
            Assert.True(ink.Width > 300 && ink.Height > 200 && ink.DistinctColours >= 50 && ink.NonWhiteShare > 0.03 && ink.TopBandHasDarkText, $"{plot.Id}: {ink}");
        }

        if (Directory.Exists(Kept))
        {
            Directory.Delete(Kept, recursive: true);
        }

        Directory.CreateDirectory(Kept);
        var pagePath = Path.Combine(Kept, "report.html");
        var textPath = Path.Combine(Kept, "report-without-plots.html");
        await File.WriteAllTextAsync(pagePath, html);
        await File.WriteAllTextAsync(textPath, ReportPageKit.WithoutImages(html));
        var page = ReportPageKit.Measure(await ReportPageKit.ScreenshotAsync(pagePath, Path.Combine(Kept, "report.png"), Width, Height));
        var text = ReportPageKit.Measure(await ReportPageKit.ScreenshotAsync(textPath, Path.Combine(Kept, "report-without-plots.png"), Width, Height));
        Output.WriteLine($"screenshot of the page: {page}; of the page without its plots: {text}; both in {Kept}");

        Assert.Equal((Width, Height), (page.Width, page.Height));
        Assert.True(page.ColouredPixels > 100_000 && page.ColouredPixels > 20 * Math.Max(1, text.ColouredPixels), $"the plots' colour is not on the screenshot: page {page}, without plots {text}");
        Assert.True(page.NonWhiteShare > 2 * text.NonWhiteShare, $"page {page}, without plots {text}");
        Assert.True(page.DistinctColours > 2 * text.DistinctColours, $"page {page}, without plots {text}");
    }

    [Fact]
    public async Task The_report_page_is_404_evaluation_not_found_for_an_unknown_id_and_409_evaluation_not_finished_while_it_runs()
    {
        var host = await Harness.StartAsync("report-refusals", extra: Settings(Path.Combine(TestPaths.Shared, "datasets"), Model));
        using var admin = RegistryKit.Admin(host.BaseUri);

        using (var unknown = await admin.GetAsync($"/v1/admin/evaluations/{Guid.NewGuid()}/report.html"))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ErrorCodes.EvaluationNotFound);
        }

        // A running evaluation, as a worker leaves it between images (no job behind it, so it stays so).
        var id = Guid.NewGuid();
        await using (var connection = new NpgsqlConnection(Harness.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO evaluation.evaluations (id, model, model_name, version, sha256, annotations, images, state, images_total, images_done, runs, requested_by, started_at)
                VALUES (@id, 'yolox_nano_416', 'yolox_nano_416', '1', 'sha', 'a.json', 'images', 'running', 31, 12, 1, 'test', now())
                """, connection);
            insert.Parameters.AddWithValue("id", id);
            await insert.ExecuteNonQueryAsync();
        }

        using var running = await admin.GetAsync($"/v1/admin/evaluations/{id}/report.html");
        await ProblemAssert.IsProblemAsync(running, HttpStatusCode.Conflict, ErrorCodes.EvaluationNotFinished);
    }
}
