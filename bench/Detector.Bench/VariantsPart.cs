using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Detector.Bench;

/// <summary>
/// Part "variants" (issue 24, ADR 0020): compressed variants against their float models, in one
/// run. Each variant is made by `Detector.Web export --register` (calibrated on train2017, never
/// on the evaluation images) into the bench database; then every float model and variant is
/// scored on coco-ccby val2017 by `eval` (registered versions through the registry); then the raw
/// ONNX Runtime ceiling (the service's executor layout, batch 1) in rounds alternating float and
/// variants; then HTTP c=1 (the all-cores wide run) and c=16 on distinct photos, pinned to the
/// float version and to the INT8 one in alternating blocks. YOLOX-nano's INT8 variants differ in
/// what stays float: the trade-off curve between accuracy and speed.
/// </summary>
internal static partial class VariantsPart
{
    private sealed record Variant(string Model, string Label, string Precision, int FloatHead, int FloatTail);

    private static readonly Variant[] Variants =
    [
        new("nanodet_m_416", "int8", "int8", 0, 1),
        new("nanodet_m_416", "fp16", "fp16", 0, 1),
        new("yolox_nano_416", "int8", "int8", 0, 1),
        new("yolox_nano_416", "int8-h1", "int8", 1, 1),
        new("yolox_nano_416", "int8-h2t2", "int8", 2, 2),
        new("yolox_nano_416", "int8-h4t4", "int8", 4, 4),
    ];

    public static async Task<JsonObject> RunAsync(BenchContext ctx, string adminKey, string dataDir)
    {
        var env = new Dictionary<string, string> { ["Compliance__AuditSubjectKey"] = ServiceProcess.AuditKey(adminKey) };
        var files = new Dictionary<Variant, string>();
        var result = new JsonObject();
        var exports = new JsonObject();
        foreach (var v in Variants)
        {
            var (file, line) = await ExportAsync(ctx, v, env);
            files[v] = file;
            exports[$"{v.Model}@{v.Label}"] = line;
            Log.Info($"part variants: {v.Model}@{v.Label}: {line}");
        }

        var accuracy = new JsonObject();
        foreach (var model in Variants.Select(v => v.Model).Distinct())
        {
            accuracy[model] = await EvalRunner.RunAsync(ctx, model, 1);
        }

        foreach (var v in Variants)
        {
            accuracy[$"{v.Model}@{v.Label}"] = await EvalRunner.RunAsync(ctx, $"{v.Model}@{v.Label}", 1, env);
            Log.Info($"part variants: mAP {v.Model} {accuracy[v.Model]} -> @{v.Label} {accuracy[$"{v.Model}@{v.Label}"]}");
        }

        result["export"] = exports;
        result["map_50_95"] = accuracy;
        result["raw_ceiling_images_per_s"] = await RawCeilingsAsync(ctx, files);
        result["http"] = await HttpAsync(ctx, adminKey, dataDir);
        return result;
    }

    /// <summary>Exports and registers an INT8 version of <paramref name="model"/> as <paramref name="label"/> (the default float regions).</summary>
    public static Task ExportInt8Async(BenchContext ctx, string model, string label, string adminKey) =>
        ExportAsync(ctx, new Variant(model, label, "int8", 0, 1), new Dictionary<string, string> { ["Compliance__AuditSubjectKey"] = ServiceProcess.AuditKey(adminKey) });

    private static async Task<(string File, string Line)> ExportAsync(BenchContext ctx, Variant v, IReadOnlyDictionary<string, string> env)
    {
        var file = Path.Combine(ctx.OutDir, $"{v.Model}_{v.Label}.onnx");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ctx.OutDir };
        foreach (var a in (string[])[ctx.WebDll, "export", "--model", v.Model, "--precision", v.Precision, "--calibration", Path.Combine(ctx.DatasetDir, "train2017"),
            "--out", file, "--float-head", v.FloatHead.ToString(CultureInfo.InvariantCulture), "--float-tail", v.FloatTail.ToString(CultureInfo.InvariantCulture),
            "--register", "--version-label", v.Label])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["Models__Directory"] = ctx.ModelsDir;
        foreach (var (key, value) in env)
        {
            psi.Environment[key] = value;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(5));
        var text = await stdout + await stderr;
        await File.WriteAllTextAsync(Path.Combine(ctx.OutDir, $"export-{v.Model}-{v.Label}.txt"), text);
        var line = CpuLine().Match(text);
        if (p.ExitCode != 0 || !line.Success)
        {
            throw new InvalidOperationException($"export {v.Model}@{v.Label} failed (exit {p.ExitCode}); see export-{v.Model}-{v.Label}.txt");
        }

        return (file, line.Value.Trim());
    }

    /// <summary>Images per second of each file at batch 1 over the service's executor layout, in alternating rounds.</summary>
    private static Task<JsonObject> RawCeilingsAsync(BenchContext ctx, Dictionary<Variant, string> files) => Task.Run(async () =>
    {
        var result = new JsonObject();
        foreach (var group in files.GroupBy(f => f.Key.Model))
        {
            var sessions = new List<(string Name, RawSession Session)> { (group.Key, new RawSession(ctx, group.Key)) };
            sessions.AddRange(group.Select(f => ($"{group.Key}@{f.Key.Label}", new RawSession(ctx, group.Key, f.Value))));
            var rates = sessions.ToDictionary(s => s.Name, _ => new List<double>());
            for (var round = 0; round < (ctx.Quick ? 3 : 5); round++)
            {
                foreach (var (name, session) in sessions)
                {
                    var (images, seconds) = session.Measure(1, ctx.D(3, 2));
                    rates[name].Add(images / seconds);
                }
            }

            foreach (var (name, session) in sessions)
            {
                var median = Stats.Percentile(rates[name], 50);
                result[name] = Stats.N(median, 1);
                Log.Info($"part variants: raw ceiling {name}: {median:F1} img/s ({median / Stats.Percentile(rates[group.Key], 50):F2}x float)");
                await session.DisposeAsync();
            }
        }

        return result;
    });

    private static async Task<JsonObject> HttpAsync(BenchContext ctx, string adminKey, string dataDir)
    {
        await using var svc = await ServiceProcess.StartAsync(ctx, "variants", adminKey, Path.Combine(dataDir, "variants"), new Dictionary<string, string>
        {
            ["Models__Enabled__1"] = "nanodet_m_416",
        });
        var key = await svc.CreateTenantAsync(adminKey, "bench-variants");
        var photos = new DistinctPhotos(ctx.LoadAllCoco().Select(i => i.Bytes).ToList(), "part variants", 10_000);
        var result = new JsonObject();
        foreach (var model in (string[])["nanodet_m_416", "yolox_nano_416"])
        {
            using var float32 = new HttpLoad(svc.BaseUrl, key, svc.Proc, model);
            using var int8 = new HttpLoad(svc.BaseUrl, key, svc.Proc, model + "@int8");
            await photos.RunAsync(int8, 4, ctx.D(3, 2)); // warm both up
            await photos.RunAsync(float32, 4, ctx.D(3, 2));
            var phases = new Dictionary<string, List<Phase>> { ["fp32_c1"] = [], ["int8_c1"] = [], ["fp32_c16"] = [], ["int8_c16"] = [] };
            for (var round = 0; round < 2; round++)
            {
                foreach (var c in (int[])[1, 16])
                {
                    phases[$"fp32_c{c}"].Add(await photos.RunAsync(float32, c, ctx.D(8, 4)));
                    phases[$"int8_c{c}"].Add(await photos.RunAsync(int8, c, ctx.D(8, 4)));
                }
            }

            double P50(string k) => Stats.Percentile([.. phases[k].SelectMany(p => p.Ok).Select(s => s.Ms)], 50);
            double Rate(string k) => phases[k].Average(p => p.Throughput);
            result[model] = new JsonObject
            {
                ["c1_p50_ms"] = new JsonObject { ["fp32"] = Stats.N(P50("fp32_c1")), ["int8"] = Stats.N(P50("int8_c1")), ["ratio"] = Stats.N(P50("fp32_c1") / P50("int8_c1"), 3) },
                ["c16_images_per_s"] = new JsonObject { ["fp32"] = Stats.N(Rate("fp32_c16"), 1), ["int8"] = Stats.N(Rate("int8_c16"), 1), ["ratio"] = Stats.N(Rate("int8_c16") / Rate("fp32_c16"), 3) },
                ["failed"] = phases.Values.SelectMany(p => p).Sum(p => p.Samples.Count(s => s.Status != 200)),
            };
            Log.Info($"part variants: http {model}: c=1 p50 {P50("fp32_c1"):F1} -> {P50("int8_c1"):F1} ms; c=16 {Rate("fp32_c16"):F1} -> {Rate("int8_c16"):F1} img/s");
        }

        result["distinct_photos"] = new JsonObject { ["sent"] = photos.Used, ["repeats"] = photos.Repeats };
        return result;
    }

    [GeneratedRegex(@"cpu, 1 thread: .*")]
    private static partial Regex CpuLine();
}
