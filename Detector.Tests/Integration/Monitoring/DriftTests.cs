using System.Globalization;
using System.Net;
using Detector.Tests.Integration.Jobs;
using Detector.Tests.Integration.Models;
using SkiaSharp;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Monitoring;

/// <summary>
/// Drift against a real service process: a version's baseline is its first requests; a window of
/// the same kind of photos stays under the threshold, a window of darkened photos or of photos
/// turned a quarter turn moves PSI past it and raises detector_drift_threshold_exceeded.
/// </summary>
[Collection("Jobs")]
public sealed class DriftTests(ITestOutputHelper output) : RegistryProcessTests(output)
{
    private const int Window = 30;

    [Fact]
    public async Task Darkened_or_rotated_photos_move_psi_past_the_threshold_and_raise_the_alert_metric_and_photos_like_the_baseline_do_not()
    {
        var host = await Harness.StartAsync("drift", extra: new Dictionary<string, string>
        {
            ["Models__Enabled__0"] = RegistryKit.Model,
            ["Monitoring__Drift__BaselineRequests"] = Window.ToString(CultureInfo.InvariantCulture),
            ["Monitoring__Drift__WindowRequests"] = Window.ToString(CultureInfo.InvariantCulture),
        });
        using var client = await CrashHarness.TenantClientAsync(host.BaseUri);
        // The same base photos in every window, each sent once (a distinct corner mark per photo):
        // a window of them is the baseline's kind of traffic.
        var bases = JobsTestKit.CocoFiles.Take(Window).Select(File.ReadAllBytes).ToList();
        var photos = DistinctPhotos.Make(bases, 5 * Window);

        await SendAsync(client, photos[..Window]); // baseline
        await SendAsync(client, photos[Window..(2 * Window)]);
        var normal = await DriftAsync(client, 1);
        await SendAsync(client, [.. photos[(2 * Window)..(3 * Window)].Select(p => Transform(p, darken: true))]);
        var dark = await DriftAsync(client, 2);
        await SendAsync(client, [.. photos[(3 * Window)..(4 * Window)].Select(p => Transform(p, darken: false))]);
        var rotated = await DriftAsync(client, 3);

        Output.WriteLine($"normal: {Show(normal)}\ndarkened: {Show(dark)}\nrotated: {Show(rotated)}");
        Assert.All(normal, f => Assert.True(f.Value.Exceeded == 0, $"photos like the baseline drifted on {f.Key}: PSI {f.Value.Psi:F3}"));
        Assert.True(dark["brightness"].Psi > 0.25 && dark["brightness"].Exceeded == 1, $"darkened: brightness PSI {dark["brightness"].Psi:F3}");
        Assert.True(rotated["aspect_ratio"].Psi > 0.25 && rotated["aspect_ratio"].Exceeded == 1, $"rotated: aspect ratio PSI {rotated["aspect_ratio"].Psi:F3}");
        Assert.True(rotated["brightness"].Exceeded == 0, $"rotated photos are not darker: brightness PSI {rotated["brightness"].Psi:F3}");
    }

    private static async Task SendAsync(HttpClient client, IReadOnlyList<byte[]> photos)
    {
        foreach (var photo in photos)
        {
            var (status, _, body) = await RegistryKit.DetectAsync(client, photo);
            for (var tries = 0; status == HttpStatusCode.TooManyRequests && tries < 50; tries++)
            {
                await Task.Delay(200); // the plan's rate limit; a refused request is not traffic
                (status, _, body) = await RegistryKit.DetectAsync(client, photo);
            }

            Assert.True(status == HttpStatusCode.OK, body);
        }
    }

    /// <summary>Each feature's PSI and threshold flag for the version, once <paramref name="windows"/> windows have completed.</summary>
    private static async Task<Dictionary<string, (double Psi, double Exceeded)>> DriftAsync(HttpClient client, int windows)
    {
        string metrics = "";
        await RegistryKit.EventuallyAsync(async () => Value(metrics = await client.GetStringAsync("/metrics"), "detector_drift_windows_total", null) >= windows, TimeSpan.FromSeconds(10), $"{windows} drift windows");
        var features = new[] { "score", "detections_per_image", "class_mix", "image_megapixels", "aspect_ratio", "brightness" };
        return features.ToDictionary(f => f, f => (Value(metrics, "detector_drift_psi", f), Value(metrics, "detector_drift_threshold_exceeded", f)));
    }

    private static double Value(string metrics, string name, string? feature) =>
        metrics.Split('\n')
            .Where(l => l.StartsWith(name + "{", StringComparison.Ordinal) && l.Contains($"model=\"{RegistryKit.Model}\"", StringComparison.Ordinal)
                && (feature is null || l.Contains($"feature=\"{feature}\"", StringComparison.Ordinal)))
            .Select(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture))
            .DefaultIfEmpty(-1)
            .Sum();

    private static string Show(Dictionary<string, (double Psi, double Exceeded)> drift) =>
        string.Join(", ", drift.Select(f => $"{f.Key} {f.Value.Psi:F3}{(f.Value.Exceeded == 1 ? "!" : "")}"));

    /// <summary>The photo at a quarter of its brightness, or turned a quarter turn (a landscape photo sent unrotated).</summary>
    private static byte[] Transform(byte[] jpeg, bool darken)
    {
        using var source = SKBitmap.Decode(jpeg);
        using var target = darken ? new SKBitmap(source.Width, source.Height) : new SKBitmap(source.Height, source.Width);
        using (var canvas = new SKCanvas(target))
        {
            if (darken)
            {
                using var paint = new SKPaint { ColorFilter = SKColorFilter.CreateColorMatrix([0.25f, 0, 0, 0, 0, 0, 0.25f, 0, 0, 0, 0, 0, 0.25f, 0, 0, 0, 0, 0, 1, 0]) };
                canvas.DrawBitmap(source, 0, 0, paint);
            }
            else
            {
                canvas.Translate(source.Height, 0);
                canvas.RotateDegrees(90);
                canvas.DrawBitmap(source, 0, 0);
            }
        }

        using var data = target.Encode(SKEncodedImageFormat.Jpeg, 90);
        return data.ToArray();
    }
}
