using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Detector.Bench;

/// <summary>COCO mAP of one served model through `Detector.Web eval` (the real pipeline).</summary>
internal static class EvalRunner
{
    /// <param name="model">A seed model, or a registered version (<c>name@version</c>), which eval reads from the bench database.</param>
    public static async Task<double> RunAsync(BenchContext ctx, string model, int scale, IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = ctx.OutDir };
        foreach (var a in new[]
        {
            ctx.WebDll, "eval", "--model", model,
            "--annotations", Path.Combine(ctx.DatasetDir, "annotations", "instances_val2017.json"),
            "--images", Path.Combine(ctx.DatasetDir, "val2017"),
            "--scale", scale.ToString(CultureInfo.InvariantCulture),
            "--out", Path.Combine(ctx.OutDir, $"eval-results-{model.Replace('@', '_')}-scale{scale}.json"),
        })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["Models__Directory"] = ctx.ModelsDir;
        psi.Environment["Models__Enabled__0"] = model;
        psi.Environment["Models__Default"] = model;
        foreach (var (key, value) in env ?? new Dictionary<string, string>())
        {
            psi.Environment[key] = value;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"eval --scale {scale} took over 5 minutes");
        }

        var text = await stdout;
        await File.WriteAllTextAsync(Path.Combine(ctx.OutDir, $"eval-{model.Replace('@', '_')}-scale{scale}.txt"), text + await stderr);
        var m = Regex.Match(text, @"mAP@\[\.5:\.95\]\s+([0-9.]+)");
        if (p.ExitCode != 0 || !m.Success)
        {
            throw new InvalidOperationException($"eval --scale {scale} failed (exit {p.ExitCode}); see eval-{model}-scale{scale}.txt");
        }

        return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
