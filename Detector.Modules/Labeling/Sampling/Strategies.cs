namespace Detector.Modules.Labeling.Sampling;

/// <summary>A detection scored within [low, high]: the model was unsure.</summary>
internal sealed class LowConfidenceStrategy(double low, double high) : ISamplingStrategy
{
    public const string StrategyName = "LowConfidence";

    public string Name => StrategyName;

    public bool Wants(Candidate candidate) => candidate.Detections.Any(d => d.Score >= low && d.Score <= high);
}

/// <summary>A result whose photo got a production/shadow disagreement in an off-path comparison.</summary>
internal sealed class ShadowDisagreementStrategy : ISamplingStrategy
{
    public const string StrategyName = "ShadowDisagreement";

    public string Name => StrategyName;

    public bool Wants(Candidate candidate) => candidate.HasDisagreement;
}

/// <summary>Any result: an unbiased sample.</summary>
internal sealed class RandomStrategy : ISamplingStrategy
{
    public const string StrategyName = "Random";

    public string Name => StrategyName;

    public bool Wants(Candidate candidate) => true;
}

/// <summary>A result whose tenant said it was wrong (feedback that may feed the queue).</summary>
internal sealed class FeedbackStrategy : ISamplingStrategy
{
    public const string StrategyName = "Feedback";

    public string Name => StrategyName;

    public bool Wants(Candidate candidate) => candidate.HasQueuedFeedback;
}

/// <summary>
/// A result detecting a class that fewer than <paramref name="maxShare"/> of the same model's last
/// <paramref name="recent"/> results detected ("recent": a sliding window of results in creation
/// order, per model); judged only once <paramref name="minResults"/> results are in the window.
/// </summary>
internal sealed class RareClassStrategy(double maxShare, int recent, int minResults) : ISamplingStrategy
{
    public const string StrategyName = "RareClass";

    private readonly Dictionary<string, Window> _windows = new(StringComparer.Ordinal);

    public string Name => StrategyName;

    public bool Wants(Candidate candidate)
    {
        if (!_windows.TryGetValue(candidate.Model, out var window) || window.Results.Count < minResults)
        {
            return false;
        }

        return candidate.Detections.Select(d => d.Label).Distinct(StringComparer.Ordinal)
            .Any(label => (double)window.Count(label) / window.Results.Count < maxShare);
    }

    public void Observe(Candidate candidate)
    {
        if (!_windows.TryGetValue(candidate.Model, out var window))
        {
            _windows[candidate.Model] = window = new Window();
        }

        window.Add([.. candidate.Detections.Select(d => d.Label).Distinct(StringComparer.Ordinal)], recent);
    }

    /// <summary>The classes each of the last results detected, and in how many of them each class is.</summary>
    private sealed class Window
    {
        private readonly Dictionary<string, int> _counts = new(StringComparer.Ordinal);

        public Queue<string[]> Results { get; } = new();

        public int Count(string label) => _counts.GetValueOrDefault(label);

        public void Add(string[] labels, int capacity)
        {
            Results.Enqueue(labels);
            foreach (var label in labels)
            {
                _counts[label] = _counts.GetValueOrDefault(label) + 1;
            }

            while (Results.Count > capacity)
            {
                foreach (var label in Results.Dequeue())
                {
                    _counts[label]--;
                }
            }
        }
    }
}
