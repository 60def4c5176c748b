using Detector.Modules.Models;
using Detector.Modules.Preprocessing;
using Detector.Modules.Variants;
using Detector.Modules.Variants.Contracts;
using Microsoft.Extensions.Hosting;

namespace Detector.Tests.Integration.Variants;

/// <summary>The export's modules in-process, as the `export` command builds them without a database.</summary>
internal static class VariantExportKit
{
    public const string Model = "nanodet_m_416";

    /// <summary>A few calibration images copied out of train2017 (never the evaluation images): quick, and still real photos.</summary>
    public static string CalibrationFolder(int images)
    {
        var source = Path.Combine(TestPaths.Coco, "train2017");
        var files = Directory.GetFiles(source, "*.jpg").Order(StringComparer.Ordinal).Take(images).ToList();
        Assert.True(files.Count == images, $"train2017 has {files.Count} images, the test needs {images}");
        var folder = Path.Combine(Path.GetTempPath(), "detector-calibration-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        foreach (var file in files)
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        return folder;
    }

    public static async Task<(int Code, string Output)> ExportAsync(ExportSettings settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration["Models:Registry"] = "false";
        builder.Configuration["Models:Directory"] = TestPaths.Models;
        builder.Configuration["Models:ManifestDirectory"] = Path.Combine(TestPaths.RepoRoot, "Detector.Web", "model-manifests");
        builder.AddModels();
        builder.AddPreprocessing();
        builder.AddVariants();
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            using var output = new StringWriter();
            var code = await VariantsModule.RunExportAsync(host.Services, settings, output, CancellationToken.None);
            return (code, output.ToString());
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
