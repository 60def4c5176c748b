using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;
using Detector.Modules.Variants.Calibration;
using Detector.Modules.Variants.Contracts;
using Detector.Modules.Variants.Graph;
using Detector.Modules.Variants.HalfPrecision;
using Detector.Modules.Variants.Quantization;
using Google.Protobuf;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Variants.ExportVariant;

/// <summary>What an export wrote and measured.</summary>
internal sealed record ExportOutcome(string Path, string Sha256, long Bytes, int QuantizedNodes, int Nodes, CalibrationSet Calibration, VariantMeasures Measures, string? RegisteredVersion);

/// <summary>
/// Makes a compressed variant of a registered float version: the INT8 one by static QDQ
/// quantization calibrated on a folder of images, or the FP16 one; measures it against its
/// source in one run, writes it, and registers it as a version of the same model when asked.
/// </summary>
internal sealed partial class ExportVariantHandler(IModelCatalog catalog, IImagePreprocessor preprocessor, IServiceProvider services, ILogger<ExportVariantHandler> logger)
{
    public async Task<ExportOutcome> HandleAsync(ExportSettings settings, CancellationToken ct)
    {
        var source = catalog.Find(settings.Model) ?? throw new VariantExportException($"No model or version '{settings.Model}' is registered.");
        if (source.Precision != "fp32")
        {
            throw new VariantExportException($"{source.Name}@{source.Version} is {source.Precision}; variants are made from fp32 versions.");
        }

        var directory = settings.CalibrationDirectory ?? throw new VariantExportException("A calibration folder is required (--calibration).");
        var spec = source.Preprocess;
        var calibration = CalibrationSet.Load(directory, spec, settings.Mirror, preprocessor);
        var model = GraphPreparation.Optimise(source.FilePath);
        var nodes = model.Graph.Node.Count;
        var quantized = 0;
        var method = new CalibrationMethod(settings.Percentile);
        if (settings.Precision == "int8")
        {
            OpsetUpgrade.Apply(model);
            var plan = QuantizationPlan.For(new OnnxGraph(model.Graph), new FloatRegions(settings.FloatHead, settings.FloatTail, settings.FloatNodes.ToHashSet(StringComparer.Ordinal)));
            var ranges = RangeCollector.Collect(model, plan.Tensors, calibration, spec.Width, spec.Height, method);
            QdqRewriter.Apply(model, plan, ranges);
            quantized = plan.Nodes.Count;
        }
        else
        {
            HalfPrecisionConverter.Apply(model);
        }

        var bytes = model.ToByteArray();
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(bytes));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(settings.OutputPath))!);
        await File.WriteAllBytesAsync(settings.OutputPath, bytes, ct);
        var measures = VariantMeasurement.Measure(source.FilePath, bytes, calibration.Inputs, spec.Width, spec.Height, settings.TimingRounds);
        LogExported(logger, settings.Precision, source.Name, source.Version, sha256, measures.SpeedUp, measures.OutputRelativeError);

        string? registered = null;
        if (settings.Register)
        {
            var registrar = services.GetService<IModelVersionRegistrar>() ?? throw new VariantExportException("Registering needs the registry's database (Database:ConnectionString).");
            var metrics = Metrics(source, settings, calibration, method, quantized, nodes, measures);
            registered = await registrar.RegisterDerivedAsync(new DerivedVersion(source.Name, source.Version, settings.Version, settings.Precision, bytes, metrics), "export", ct);
        }

        return new ExportOutcome(settings.OutputPath, sha256, bytes.Length, quantized, nodes, calibration, measures, registered);
    }

    private static JsonElement Metrics(ModelManifest source, ExportSettings settings, CalibrationSet calibration, CalibrationMethod method, int quantized, int nodes, VariantMeasures measures)
    {
        var metrics = new JsonObject
        {
            ["source_version"] = source.Version,
            ["source_sha256"] = source.Sha256,
            ["calibration"] = new JsonObject
            {
                ["sha256"] = calibration.Sha256,
                ["images"] = calibration.Images,
                ["samples"] = calibration.Inputs.Count,
                ["method"] = settings.Precision == "int8" ? method.ToString() : "none",
                ["mirror"] = settings.Mirror,
            },
            ["float_regions"] = new JsonObject
            {
                ["head_convolutions"] = settings.FloatHead,
                ["tail_convolutions"] = settings.FloatTail,
                ["nodes"] = new JsonArray([.. settings.FloatNodes.Select(n => (JsonNode)n)]),
            },
            ["quantized_nodes"] = quantized,
            ["nodes"] = nodes,
            ["cpu_ms_per_image"] = new JsonObject { ["source"] = Math.Round(measures.SourceMsPerImage, 3), ["variant"] = Math.Round(measures.VariantMsPerImage, 3) },
            ["cpu_speed_up"] = Math.Round(measures.SpeedUp, 3),
            ["output_relative_error"] = Math.Round(measures.OutputRelativeError, 5),
        };
        return JsonSerializer.SerializeToElement(metrics);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Exported the {Precision} variant of {Model}@{Version}: sha256 {Sha256}, {SpeedUp:F2}x on CPU, output relative error {Error:F4}")]
    private static partial void LogExported(ILogger logger, string precision, string model, string version, string sha256, double speedUp, double error);
}
