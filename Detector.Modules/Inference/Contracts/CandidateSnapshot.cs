using Detector.Modules.Inference.Postprocessing;

namespace Detector.Modules.Inference.Contracts;

/// <summary>
/// One image's scored boxes before thresholding and NMS, in the decoder's order, for a model
/// version: what a result cache keeps so that a repeat with another <c>min_score</c>, <c>iou</c>
/// or <c>max_detections</c> needs no inference (<see cref="IObjectDetector.Rethreshold"/>).
/// Opaque outside the Inference module.
/// </summary>
public sealed class CandidateSnapshot
{
    private const int BytesPerCandidate = 24;
    private const int Overhead = 64;

    private readonly Candidate[] _items;

    private CandidateSnapshot(Candidate[] items, float floor)
    {
        _items = items;
        Floor = floor;
    }

    /// <summary>Every candidate scoring above this is held; a request may use the snapshot when its min_score is at least this.</summary>
    public float Floor { get; }

    public int Count => _items.Length;

    /// <summary>Memory held, for a cache's byte budget.</summary>
    public long Bytes => ((long)_items.Length * BytesPerCandidate) + Overhead;

    internal ReadOnlySpan<Candidate> Items => _items;

    /// <summary>
    /// A copy of the candidates scoring above <paramref name="floor"/>, in order; null when they
    /// are more than NMS would look at (then a re-threshold could differ from a fresh run).
    /// </summary>
    internal static CandidateSnapshot? Above(ReadOnlySpan<Candidate> candidates, float floor)
    {
        var n = 0;
        foreach (ref readonly var c in candidates)
        {
            if (c.Score > floor)
            {
                n++;
            }
        }

        if (n > Nms.MaxCandidates)
        {
            return null;
        }

        var items = new Candidate[n];
        var i = 0;
        foreach (ref readonly var c in candidates)
        {
            if (c.Score > floor)
            {
                items[i++] = c;
            }
        }

        return new CandidateSnapshot(items, floor);
    }
}
