using Detector.Modules.Inference.Runtime;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Inference.Postprocessing;

/// <summary>
/// Turns one image's raw head outputs into candidates in original-image pixels. Every
/// (anchor, class) pair above the score threshold is a candidate (multi-label), as the GFL
/// reference post-processing does; NMS then runs per class.
/// </summary>
internal static class HeadDecoder
{
    public static void Decode(ModelManifest manifest, OutputLayout layout, ReadOnlySpan<float> outputs, in InputTransform transform, float minScore, ref CandidateBuffer candidates)
    {
        if (manifest.Family == ModelFamily.Yolox)
        {
            DecodeYolox(manifest, outputs.Slice(layout.Offsets[0], layout.PerImageLengths[0]), transform, minScore, ref candidates);
        }
        else
        {
            DecodeGfl(manifest, layout, outputs, transform, minScore, ref candidates);
        }
    }

    private static void DecodeYolox(ModelManifest manifest, ReadOnlySpan<float> rows, in InputTransform t, float minScore, ref CandidateBuffer candidates)
    {
        var classes = manifest.Labels.Count;
        var width = 5 + classes;
        var p = manifest.Preprocess;
        var row = 0;
        foreach (var stride in manifest.Strides)
        {
            int cols = (p.Width + stride - 1) / stride, gridRows = (p.Height + stride - 1) / stride;
            for (var gy = 0; gy < gridRows; gy++)
            {
                for (var gx = 0; gx < cols; gx++, row++)
                {
                    var r = rows.Slice(row * width, width);
                    var obj = r[4];
                    if (obj <= minScore)
                    {
                        continue;
                    }

                    var cx = (r[0] + gx) * stride;
                    var cy = (r[1] + gy) * stride;
                    var hw = MathF.Exp(r[2]) * stride * 0.5f;
                    var hh = MathF.Exp(r[3]) * stride * 0.5f;
                    for (var c = 0; c < classes; c++)
                    {
                        var score = obj * r[5 + c];
                        if (score > minScore)
                        {
                            candidates.Add(ToOriginal(cx - hw, cy - hh, cx + hw, cy + hh, score, c, t));
                        }
                    }
                }
            }
        }
    }

    private static void DecodeGfl(ModelManifest manifest, OutputLayout layout, ReadOnlySpan<float> outputs, in InputTransform t, float minScore, ref CandidateBuffer candidates)
    {
        var classes = manifest.Labels.Count;
        var bins = manifest.DistributionBins;
        Span<float> distances = stackalloc float[4];
        foreach (var level in layout.Levels)
        {
            var scores = outputs.Slice(layout.Offsets[level.ScoreOutput], layout.PerImageLengths[level.ScoreOutput]);
            var boxes = outputs.Slice(layout.Offsets[level.BoxOutput], layout.PerImageLengths[level.BoxOutput]);
            var anchors = level.Columns * level.Rows;
            for (var a = 0; a < anchors; a++)
            {
                var s = scores.Slice(a * classes, classes);
                var decoded = false;
                float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
                for (var c = 0; c < classes; c++)
                {
                    if (s[c] <= minScore)
                    {
                        continue;
                    }

                    if (!decoded)
                    {
                        var logits = boxes.Slice(a * 4 * bins, 4 * bins);
                        for (var side = 0; side < 4; side++)
                        {
                            distances[side] = Expectation(logits.Slice(side * bins, bins)) * level.Stride;
                        }

                        var cx = ((a % level.Columns) + manifest.CenterOffset) * level.Stride;
                        var cy = ((a / level.Columns) + manifest.CenterOffset) * level.Stride;
                        (x1, y1, x2, y2) = (cx - distances[0], cy - distances[1], cx + distances[2], cy + distances[3]);
                        decoded = true;
                    }

                    candidates.Add(ToOriginal(x1, y1, x2, y2, s[c], c, t));
                }
            }
        }
    }

    /// <summary>Distribution focal loss: softmax over the bins, then the expected bin index.</summary>
    private static float Expectation(ReadOnlySpan<float> logits)
    {
        var max = logits[0];
        for (var i = 1; i < logits.Length; i++)
        {
            max = MathF.Max(max, logits[i]);
        }

        float sum = 0, weighted = 0;
        for (var i = 0; i < logits.Length; i++)
        {
            var e = MathF.Exp(logits[i] - max);
            sum += e;
            weighted += e * i;
        }

        return weighted / sum;
    }

    private static Candidate ToOriginal(float x1, float y1, float x2, float y2, float score, int classId, in InputTransform t) => new()
    {
        X1 = t.ToOriginalX(x1),
        Y1 = t.ToOriginalY(y1),
        X2 = t.ToOriginalX(x2),
        Y2 = t.ToOriginalY(y2),
        Score = score,
        ClassId = classId,
    };
}
