using Detector.Modules.Inference.Contracts;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Inference.Postprocessing;

/// <summary>One image's raw model output to its detections: head decoding, NMS, labels.</summary>
internal static class Postprocessor
{
    public static Detection[] Run(LoadedModel model, float[] output, InputTransform transform, DetectionOptions options)
    {
        var manifest = model.Manifest;
        var candidates = new CandidateBuffer(256);
        try
        {
            HeadDecoder.Decode(manifest, model.Runner.Layout, output.AsSpan(0, model.Runner.Layout.TotalPerImage), transform, options.MinScore, ref candidates);
            if (candidates.Count > Nms.MaxCandidates)
            {
                model.Metrics.CandidatesCapped.Inc();
            }

            var kept = Nms.Run(candidates.Span, options.Iou, options.MaxDetections);
            var result = new Detection[kept];
            var span = candidates.Span;
            for (var i = 0; i < kept; i++)
            {
                ref readonly var c = ref span[i];
                result[i] = new Detection(manifest.Labels[c.ClassId], c.ClassId, c.Score, [c.X1, c.Y1, c.X2, c.Y2]);
            }

            return result;
        }
        finally
        {
            candidates.Dispose();
        }
    }
}
