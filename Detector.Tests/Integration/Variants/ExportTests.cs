using System.Diagnostics;
using Detector.Modules.Variants.Contracts;
using Microsoft.ML.OnnxRuntime;
using Onnx;
using static Detector.Tests.Integration.Variants.VariantExportKit;

namespace Detector.Tests.Integration.Variants;

/// <summary>
/// The export on a real model and real calibration photos: the INT8 file is the same bytes every
/// time, stays int8 between convolutions once ONNX Runtime has fused it, and the FP16 file is a
/// valid ONNX graph by ONNX's own checker, with float32 at both ends.
/// </summary>
public sealed class ExportTests : IDisposable
{
    private readonly string _calibration = CalibrationFolder(4);
    private readonly string _out = Path.Combine(Path.GetTempPath(), "detector-export-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        Directory.Delete(_calibration, recursive: true);
        if (Directory.Exists(_out))
        {
            Directory.Delete(_out, recursive: true);
        }
    }

    [Fact]
    public async Task The_int8_export_gives_the_same_bytes_for_the_same_inputs_and_runs_as_integer_kernels_between_convolutions()
    {
        var first = await ExportOkAsync("int8", "first.onnx");
        var second = await ExportOkAsync("int8", "second.onnx");

        Assert.Equal(await File.ReadAllBytesAsync(first), await File.ReadAllBytesAsync(second));
        var optimised = Path.Combine(_out, "optimised.onnx");
        using (var options = new Microsoft.ML.OnnxRuntime.SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, OptimizedModelFilePath = optimised })
        using (new InferenceSession(first, options))
        {
        }

        var graph = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimised)).Graph;
        var ops = graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        // Every convolution but the head's last three is an integer kernel. The image is quantized
        // once at the input; the only float islands are NanoDet's four bilinear upsamplings, which
        // ONNX Runtime 1.31 runs in float between a DequantizeLinear and a QuantizeLinear.
        Assert.Equal((70, 3), (ops.GetValueOrDefault("QLinearConv"), ops.GetValueOrDefault("Conv")));
        var producers = graph.Node.SelectMany(n => n.Output.Select(o => (o, n.OpType))).ToDictionary(p => p.o, p => p.OpType);
        var quantizedAfter = graph.Node.Where(n => n.OpType == "QuantizeLinear").Select(q => producers.GetValueOrDefault(q.Input[0], "input")).Order().ToList();
        Assert.Equal(["Resize", "Resize", "Resize", "Resize", "input"], quantizedAfter);
    }

    [Fact]
    public async Task The_fp16_export_passes_the_onnx_checker_and_shape_inference_and_keeps_float32_inputs_and_outputs()
    {
        var path = await ExportOkAsync("fp16", "fp16.onnx");

        var model = ModelProto.Parser.ParseFrom(await File.ReadAllBytesAsync(path));
        Assert.All(model.Graph.Input.Concat(model.Graph.Output), v => Assert.Equal((int)TensorProto.Types.DataType.Float, v.Type.TensorType.ElemType));
        Assert.Contains(model.Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Float16);
        Assert.DoesNotContain(model.Graph.Initializer, t => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count == 4);

        var check = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-c", "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); onnx.shape_inference.infer_shapes(m, check_type=True, strict_mode=True); print('onnx', onnx.__version__, 'ok')", path])
        {
            check.ArgumentList.Add(arg);
        }

        using var process = Process.Start(check)!;
        var stdout = await process.StandardOutput.ReadToEndAsync();
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"the ONNX checker refused the FP16 graph (python3-onnx is installed by the bootstrap): {stdout}{stderr}");
        Assert.Contains("ok", stdout, StringComparison.Ordinal);
    }

    private async Task<string> ExportOkAsync(string precision, string file)
    {
        var path = Path.Combine(_out, file);
        var (code, output) = await ExportAsync(new ExportSettings
        {
            Model = Model,
            Precision = precision,
            OutputPath = path,
            CalibrationDirectory = _calibration,
            TimingRounds = 1,
        });
        Assert.True(code == 0, output);
        Assert.Contains($"{precision} variant of {Model}", output, StringComparison.Ordinal);
        return path;
    }
}
