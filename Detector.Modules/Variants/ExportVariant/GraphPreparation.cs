using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using Onnx;

namespace Detector.Modules.Variants.ExportVariant;

/// <summary>
/// The float graph the variants are made from: ONNX Runtime's basic optimisation (constant
/// folding, Conv+BatchNorm folding, redundant nodes removed), standard operators only, as ONNX
/// Runtime's own quantization pre-processing does. Calibration and rewriting then see the
/// convolutions the runtime will execute.
/// </summary>
internal static class GraphPreparation
{
    public static ModelProto Optimise(string sourcePath)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"detector-export-{Guid.NewGuid():N}.onnx");
        try
        {
            using (var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC, OptimizedModelFilePath = temp, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR })
            using (new InferenceSession(sourcePath, options))
            {
            }

            var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(temp));
            // The optimiser lists every domain it knows; the graph uses the default one only, and
            // its initializers come out in hash order: sorted, the same inputs give the same bytes.
            var opset = model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx").ToList();
            model.OpsetImport.Clear();
            model.OpsetImport.AddRange(opset);
            var initializers = model.Graph.Initializer.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
            model.Graph.Initializer.Clear();
            model.Graph.Initializer.AddRange(initializers);
            // Initializers listed as graph inputs too (IR < 4 habits) would keep their old type there.
            var constants = model.Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
            var inputs = model.Graph.Input.Where(i => !constants.Contains(i.Name)).ToList();
            model.Graph.Input.Clear();
            model.Graph.Input.AddRange(inputs);
            model.ProducerName = "detector export";
            model.ProducerVersion = string.Empty;
            return model;
        }
        finally
        {
            File.Delete(temp);
        }
    }
}
