using Detector.Modules.Models.Contracts;
using Microsoft.ML.OnnxRuntime;

namespace Detector.Modules.Inference.Runtime;

/// <summary>
/// The model's outputs as the decoders need them. Shapes come from one probe run at batch 1,
/// because exported graphs often leave non-batch dimensions symbolic. GFL levels are matched by
/// shape, not by name: score tensors have one column per label, box tensors 4 x bins.
/// </summary>
internal sealed class OutputLayout
{
    /// <summary>Probe is the way in for a real session; tests build a layout for a hand-made head directly.</summary>
    internal OutputLayout(IReadOnlyList<string> names, IReadOnlyList<long[]> shapes, IReadOnlyList<GflLevel> levels)
    {
        Names = names;
        Shapes = shapes;
        PerImageLengths = [.. shapes.Select(s => (int)s.Skip(1).Aggregate(1L, (a, b) => a * b))];
        Offsets = new int[PerImageLengths.Length];
        for (var i = 1; i < Offsets.Length; i++)
        {
            Offsets[i] = Offsets[i - 1] + PerImageLengths[i - 1];
        }

        TotalPerImage = PerImageLengths.Sum();
        Levels = levels;
    }

    /// <summary>Where each output starts when one image's outputs are packed back to back.</summary>
    public int[] Offsets { get; }

    public int TotalPerImage { get; }

    public IReadOnlyList<string> Names { get; }

    public IReadOnlyList<long[]> Shapes { get; }

    public int[] PerImageLengths { get; }

    /// <summary>GFL heads only: one entry per stride, finest first.</summary>
    public IReadOnlyList<GflLevel> Levels { get; }

    public static OutputLayout Probe(InferenceSession session, ModelManifest manifest)
    {
        var p = manifest.Preprocess;
        var names = session.OutputMetadata.Keys.ToList();
        var shapes = new List<long[]>(names.Count);
        // The run options live in a using: the runtime's Run passes only their native handle, so a
        // RunOptions nothing else refers to can be finalized, and its native object freed, while the
        // run still reads it (a segfault in libonnxruntime under a GC during a model load).
        using var runOptions = new RunOptions();
        using (var input = OrtValue.CreateTensorValueFromMemory(new float[3 * p.Width * p.Height], [1, 3, p.Height, p.Width]))
        using (var results = session.Run(runOptions, [manifest.InputName], [input], names))
        {
            foreach (var r in results)
            {
                shapes.Add(r.GetTensorTypeAndShape().Shape);
            }
        }

        var classes = manifest.Labels.Count;
        var levels = new List<GflLevel>();
        if (manifest.Family == ModelFamily.Yolox)
        {
            if (names.Count != 1 || shapes[0].Length != 3 || shapes[0][2] != 5 + classes)
            {
                throw new InvalidOperationException($"Model '{manifest.Name}': a YOLOX head has one [B,N,{5 + classes}] output.");
            }

            var expected = manifest.Strides.Sum(s => Cells(p.Width, s) * Cells(p.Height, s));
            if (shapes[0][1] != expected)
            {
                throw new InvalidOperationException($"Model '{manifest.Name}': {shapes[0][1]} rows, strides imply {expected}.");
            }
        }
        else
        {
            var box = 4 * manifest.DistributionBins;
            var scores = Enumerable.Range(0, names.Count).Where(i => shapes[i].Length == 3 && shapes[i][2] == classes).OrderByDescending(i => shapes[i][1]).ToList();
            var boxes = Enumerable.Range(0, names.Count).Where(i => shapes[i].Length == 3 && shapes[i][2] == box).OrderByDescending(i => shapes[i][1]).ToList();
            if (scores.Count != manifest.Strides.Count || boxes.Count != manifest.Strides.Count)
            {
                throw new InvalidOperationException($"Model '{manifest.Name}': expected {manifest.Strides.Count} score and box outputs, found {scores.Count} and {boxes.Count}.");
            }

            for (var l = 0; l < scores.Count; l++)
            {
                var stride = manifest.Strides[l];
                int cols = Cells(p.Width, stride), rows = Cells(p.Height, stride);
                if (shapes[scores[l]][1] != cols * rows || shapes[boxes[l]][1] != cols * rows)
                {
                    throw new InvalidOperationException($"Model '{manifest.Name}': level {l} has {shapes[scores[l]][1]} anchors, stride {stride} implies {cols * rows}.");
                }

                levels.Add(new GflLevel(scores[l], boxes[l], stride, cols, rows));
            }
        }

        return new OutputLayout(names, shapes, levels);
    }

    private static int Cells(int size, int stride) => (size + stride - 1) / stride;
}

internal sealed record GflLevel(int ScoreOutput, int BoxOutput, int Stride, int Columns, int Rows);
