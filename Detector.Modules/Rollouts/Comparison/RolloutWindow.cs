namespace Detector.Modules.Rollouts.Comparison;

/// <summary>One served detection of a variant, as a rollout judges it.</summary>
internal readonly record struct Served(DateTimeOffset At, bool Ok, double Ms, int Detections);

/// <summary>One off-path comparison of a candidate (shadow or canary) with production on the same image.</summary>
internal readonly record struct Compared(DateTimeOffset At, ImageComparison Comparison, double CandidateMs, double ReferenceMs);

/// <summary>What a variant did over the window.</summary>
internal sealed record VariantSummary(string Variant, string Version, int Requests, int Errors, double ErrorRate, double P50Ms, double P95Ms, double DetectionsPerImage);

/// <summary>How a candidate compared with production over the window: precision and recall of its boxes against production's at IoU 0.5, their F1 as agreement, the mean score shift of matched boxes, per-class count differences, and latency.</summary>
internal sealed record ComparisonSummary(string Candidate, string Version, int Images, double Precision, double Recall, double Agreement, double MeanScoreShift, IReadOnlyDictionary<string, int> CountDifference, double CandidateP50Ms, double ReferenceP50Ms);

/// <summary>
/// A sliding window of one series (a variant's requests, or a candidate's comparisons) of one
/// version: the last <c>capacity</c> entries no older than <c>span</c>. A new version starts an
/// empty window: a canary's figures are its own.
/// </summary>
internal sealed class Window<T>(string version, int capacity, TimeSpan span, Func<T, DateTimeOffset> at)
{
    private readonly Queue<T> _items = new();

    public string Version { get; } = version;

    public void Add(T item)
    {
        _items.Enqueue(item);
        while (_items.Count > capacity)
        {
            _items.Dequeue();
        }
    }

    public List<T> Current(DateTimeOffset now)
    {
        while (_items.Count > 0 && now - at(_items.Peek()) > span)
        {
            _items.Dequeue();
        }

        return [.. _items];
    }
}

/// <summary>Summaries of window contents.</summary>
internal static class Summaries
{
    public static VariantSummary Of(string variant, string version, List<Served> items)
    {
        var ok = items.Where(i => i.Ok).ToList();
        var ms = ok.Select(i => i.Ms).Order().ToList();
        return new VariantSummary(
            variant,
            version,
            items.Count,
            items.Count - ok.Count,
            items.Count == 0 ? 0 : (double)(items.Count - ok.Count) / items.Count,
            Percentile(ms, 0.50),
            Percentile(ms, 0.95),
            ok.Count == 0 ? 0 : ok.Average(i => i.Detections));
    }

    public static ComparisonSummary Of(string candidate, string version, List<Compared> items)
    {
        var matched = items.Sum(i => i.Comparison.Matched);
        var ofCandidate = items.Sum(i => i.Comparison.Candidate);
        var ofReference = items.Sum(i => i.Comparison.Reference);
        var precision = ofCandidate == 0 ? (ofReference == 0 ? 1 : 0) : (double)matched / ofCandidate;
        var recall = ofReference == 0 ? (ofCandidate == 0 ? 1 : 0) : (double)matched / ofReference;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (label, diff) in items.SelectMany(i => i.Comparison.CountDifference))
        {
            counts[label] = counts.GetValueOrDefault(label) + diff;
        }

        return new ComparisonSummary(
            candidate,
            version,
            items.Count,
            precision,
            recall,
            Agreement.F1(matched, ofCandidate, ofReference),
            matched == 0 ? 0 : items.Sum(i => i.Comparison.ScoreShift) / matched,
            counts.Where(kv => kv.Value != 0).OrderByDescending(kv => Math.Abs(kv.Value)).Take(20).ToDictionary(StringComparer.Ordinal),
            Percentile([.. items.Select(i => i.CandidateMs).Order()], 0.5),
            Percentile([.. items.Select(i => i.ReferenceMs).Order()], 0.5));
    }

    private static double Percentile(List<double> sorted, double q) =>
        sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Count) - 1, 0, sorted.Count - 1)];
}
