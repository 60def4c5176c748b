using Detector.Modules.Inference.Contracts;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Inference.Postprocessing;

/// <summary>One image's raw model output to its detections: head decoding, NMS, labels.</summary>
internal static class Postprocessor
{
    /// <summary>
    /// Decodes, suppresses and labels; with <paramref name="keepAbove"/>, also returns a copy of
    /// every candidate scoring above it, taken before NMS (a result cache re-thresholds them later).
    /// </summary>
    public static Detection[] Run(LoadedModel model, float[] output, InputTransform transform, DetectionOptions options, float? keepAbove, out CandidateSnapshot? kept)
    {
        var manifest = model.Manifest;
        var candidates = new CandidateBuffer(256);
        try
        {
            var floor = keepAbove is { } k ? MathF.Min(k, options.MinScore) : options.MinScore;
            HeadDecoder.Decode(manifest, model.Runner.Layout, output.AsSpan(0, model.Runner.Layout.TotalPerImage), transform, floor, ref candidates);
            kept = keepAbove is { } above ? CandidateSnapshot.Above(candidates.Span, above) : null;

            // Decoding kept candidates down to the cache's floor: the request's own threshold
            // applies here, with the comparison the decoder uses, so NMS sees exactly the candidates
            // (in the same order) a decode at min_score would have produced.
            var span = floor < options.MinScore ? candidates.Span[..Filter(candidates.Span, options.MinScore)] : candidates.Span;
            return Suppress(model, span, options);
        }
        finally
        {
            candidates.Dispose();
        }
    }

    /// <summary>Detections from candidates kept earlier (<see cref="CandidateSnapshot"/>), exactly as a fresh decode at <paramref name="options"/> gives.</summary>
    public static Detection[] Rerun(LoadedModel model, CandidateSnapshot snapshot, DetectionOptions options)
    {
        var candidates = new CandidateBuffer(Math.Max(16, snapshot.Count));
        try
        {
            foreach (ref readonly var c in snapshot.Items)
            {
                if (c.Score > options.MinScore)
                {
                    candidates.Add(in c);
                }
            }

            return Suppress(model, candidates.Span, options);
        }
        finally
        {
            candidates.Dispose();
        }
    }

    private static Detection[] Suppress(LoadedModel model, Span<Candidate> span, DetectionOptions options)
    {
        if (span.Length > Nms.MaxCandidates)
        {
            model.Metrics.CandidatesCapped.Inc();
        }

        var labels = model.Manifest.Labels;
        var kept = Nms.Run(span, options.Iou, options.MaxDetections);
        var result = new Detection[kept];
        for (var i = 0; i < kept; i++)
        {
            ref readonly var c = ref span[i];
            result[i] = new Detection(labels[c.ClassId], c.ClassId, c.Score, [c.X1, c.Y1, c.X2, c.Y2]);
        }

        return result;
    }

    /// <summary>Moves the candidates scoring above <paramref name="minScore"/> to the front, in order; returns how many.</summary>
    private static int Filter(Span<Candidate> candidates, float minScore)
    {
        var n = 0;
        for (var i = 0; i < candidates.Length; i++)
        {
            if (candidates[i].Score > minScore)
            {
                candidates[n++] = candidates[i];
            }
        }

        return n;
    }
}
