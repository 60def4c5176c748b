using Detector.Modules.Variants.Contracts;
using Detector.Modules.Variants.ExportVariant;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Variants;

/// <summary>Compressed variants of registered models (INT8, FP16), made by the `export` command.</summary>
public static class VariantsModule
{
    /// <summary>Needs the Models module (the catalog, and its registrar to register) and Preprocessing.</summary>
    public static IHostApplicationBuilder AddVariants(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ExportVariantHandler>();
        return builder;
    }

    /// <summary>No endpoints: variants are made by the `export` command and registered through the Models module.</summary>
    public static IEndpointRouteBuilder MapVariantsEndpoints(this IEndpointRouteBuilder app) => app;

    /// <summary>
    /// The `export` command's use case: writes the variant, prints what it measured to
    /// <paramref name="output"/>. Returns 0 on success, 1 when the model or a setting cannot be exported.
    /// </summary>
    public static async Task<int> RunExportAsync(IServiceProvider services, ExportSettings settings, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        try
        {
            var outcome = await services.GetRequiredService<ExportVariantHandler>().HandleAsync(settings, ct);
            var m = outcome.Measures;
            await output.WriteLineAsync($"{settings.Precision} variant of {settings.Model}: {outcome.Path} ({outcome.Bytes} bytes, sha256 {outcome.Sha256})");
            if (settings.Precision == "int8")
            {
                await output.WriteLineAsync($"quantized nodes: {outcome.QuantizedNodes} of {outcome.Nodes}; float: first {settings.FloatHead} and last {settings.FloatTail} convolutions, {settings.FloatNodes.Count} named nodes");
            }

            await output.WriteLineAsync($"calibration: {outcome.Calibration.Images} images, {outcome.Calibration.Inputs.Count} samples, sha256 {outcome.Calibration.Sha256}");
            await output.WriteLineAsync($"cpu, 1 thread: {m.SourceMsPerImage:F2} ms -> {m.VariantMsPerImage:F2} ms per image ({m.SpeedUp:F2}x); output relative error {m.OutputRelativeError:F4}");
            if (outcome.RegisteredVersion is { } version)
            {
                await output.WriteLineAsync($"registered: {settings.Model.Split('@')[0]}@{version}");
            }

            return 0;
        }
        catch (VariantExportException ex)
        {
            await output.WriteLineAsync($"export: {ex.Message}");
            return 1;
        }
    }
}
