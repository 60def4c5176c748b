using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Detector.Bench;

/// <summary>
/// Part 11: the degradation ladder under a load ramp. A service serving a full model (default) with
/// its configured stand-ins takes closed-loop load ramping up and back down; per phase, which rung
/// served the 200s (from detector_degradation_served_total), and every rung change the service
/// logged with the backlog it saw, checked against the thresholds: up only at or above a rung's
/// threshold, down only below half of it. Then each rung's mAP with the evaluation command. Two
/// ladders: PicoDet-416 -> PicoDet-320 -> YOLOX-nano, and NanoDet-m -> its INT8 version (made by
/// `export` into the bench database first) -> YOLOX-nano.
/// </summary>
internal static partial class LadderPart
{
    /// <summary>A ladder: the full model and its stand-ins by rung (null: none configured).</summary>
    public sealed record Setup(string Name, string Full, string? Compressed, string? Lower, string Faster)
    {
        public IReadOnlyDictionary<string, string> ServiceEnv
        {
            get
            {
                var env = new Dictionary<string, string>
                {
                    ["Models__Enabled__0"] = Full,
                    ["Models__Enabled__1"] = Faster,
                    ["Models__Default"] = Full,
                    ["Inference__Degradation__Models__" + Full + "__FasterModel"] = Faster,
                    ["Serilog__MinimumLevel__Override__Detector.Modules.Inference.Degradation"] = "Warning",
                };
                if (Lower is not null)
                {
                    env["Models__Enabled__2"] = Lower;
                    env["Inference__Degradation__Models__" + Full + "__LowerResolution"] = Lower;
                }

                if (Compressed is not null)
                {
                    env["Inference__Degradation__Models__" + Full + "__Compressed"] = Compressed;
                }

                return env;
            }
        }

        public IEnumerable<string> Models => new[] { Full, Compressed, Lower, Faster }.OfType<string>();
    }

    public static readonly Setup PicoDet = new("picodet", "picodet_s_416", null, "picodet_s_320", "yolox_nano_416");

    public static readonly Setup NanoDetInt8 = new("nanodet_int8", "nanodet_m_416", "nanodet_m_416@int8", null, "yolox_nano_416");

    private static readonly string[] Rungs = ["full", "compressed", "lower_resolution", "faster_model"];

    public static async Task<JsonObject> RunAsync(BenchContext ctx, Setup setup, ServiceProcess svc, HttpLoad load, IReadOnlyList<byte[]> images, IReadOnlyDictionary<string, string> evalEnv)
    {
        int[] ramp = [1, 2, 4, 8, 16, 32, 16, 8, 4, 2, 1];
        var seconds = ctx.Quick ? 4 : 8;
        const double budgetMs = 500, releaseFactor = 0.5;
        double[] thresholds = [0.2, 0.3, 0.5]; // compressed, lower resolution, faster model (appsettings)
        using var http = new HttpClient();
        var phases = new JsonArray();
        // Distinct photos: a repeated one would be answered from the result cache, not by a rung.
        var photos = new DistinctPhotos(images, "part 11 " + setup.Name, ctx.Quick ? 5_000 : 9_000);
        var before = await ServedAsync(http, svc.BaseUrl);
        foreach (var c in ramp)
        {
            var p = await photos.RunAsync(load, c, TimeSpan.FromSeconds(seconds));
            var after = await ServedAsync(http, svc.BaseUrl);
            var served = new JsonObject();
            foreach (var rung in Rungs)
            {
                served[rung] = after.GetValueOrDefault(rung) - before.GetValueOrDefault(rung);
            }

            before = after;
            phases.Add(p.ToJson(new JsonObject { ["concurrency"] = c, ["served_by_rung"] = served }));
            Log.Info($"part 11 ladder {setup.Name}: c={c,2}: {p.Throughput,6:F1} img/s, p95 {p.P(95),6:F1} ms, served {string.Join(", ", Rungs.Select(r => $"{r} {served[r]}"))}, refused {p.Samples.Count(s => s.Status != 200)}");
        }

        // Rung changes as the service logged them, with the backlog it judged them on.
        var transitions = new JsonArray();
        var wrong = 0;
        foreach (Match m in Transition().Matches(await File.ReadAllTextAsync(svc.LogPath)))
        {
            var from = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            var to = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            var backlog = double.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            var ok = to > from ? backlog >= budgetMs * thresholds[to - 1] : backlog < budgetMs * thresholds[from - 1] * releaseFactor;
            wrong += ok ? 0 : 1;
            transitions.Add(new JsonObject { ["from"] = from, ["to"] = to, ["backlog_ms"] = backlog, ["within_thresholds"] = ok });
        }

        var engaged = transitions.Select(t => t!["to"]!.GetValue<int>()).ToHashSet();
        var released = transitions.Where(t => t!["to"]!.GetValue<int>() < t["from"]!.GetValue<int>()).Select(t => t!["from"]!.GetValue<int>()).ToHashSet();
        Log.Info($"part 11 ladder {setup.Name}: {transitions.Count} rung changes, {wrong} outside the thresholds; rungs engaged {string.Join(",", engaged.Order())}, released {string.Join(",", released.Order())}");

        var map = new JsonObject();
        foreach (var model in setup.Models)
        {
            map[model] = await EvalRunner.RunAsync(ctx, model, 1, evalEnv);
            Log.Info($"part 11 ladder {setup.Name}: mAP of {model}: {map[model]}");
        }

        return new JsonObject
        {
            ["models"] = new JsonObject { ["full"] = setup.Full, ["compressed"] = setup.Compressed, ["lower_resolution"] = setup.Lower, ["faster_model"] = setup.Faster },
            ["thresholds"] = new JsonObject { ["budget_ms"] = budgetMs, ["compressed_at_ms"] = budgetMs * thresholds[0], ["lower_resolution_at_ms"] = budgetMs * thresholds[1], ["faster_model_at_ms"] = budgetMs * thresholds[2], ["release_factor"] = releaseFactor, ["release_after_ms"] = 2000 },
            ["phase_seconds"] = seconds,
            ["phases"] = phases,
            ["transitions"] = transitions,
            ["transitions_outside_thresholds"] = wrong,
            ["each_rung_engaged_and_released"] = engaged.IsSupersetOf([1, 2, 3]) && released.IsSupersetOf([1, 2, 3]),
            ["map"] = map,
            ["distinct_photos"] = new JsonObject { ["sent"] = photos.Used, ["repeats"] = photos.Repeats },
        };
    }

    private static async Task<Dictionary<string, double>> ServedAsync(HttpClient http, string baseUrl)
    {
        var result = new Dictionary<string, double>();
        foreach (var line in (await http.GetStringAsync($"{baseUrl}/metrics")).Split('\n'))
        {
            var m = Served().Match(line);
            if (m.Success)
            {
                result[m.Groups[1].Value] = result.GetValueOrDefault(m.Groups[1].Value) + double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            }
        }

        return result;
    }

    [GeneratedRegex(@"^detector_degradation_served_total\{[^}]*rung=""([a-z_]+)""[^}]*\} ([0-9.e+]+)")]
    private static partial Regex Served();

    [GeneratedRegex(@"Degradation ladder: rung (\d) -> (\d) at a backlog of (\d+) ms")]
    private static partial Regex Transition();
}
