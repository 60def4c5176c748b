using Detector.Modules.Results.Contracts;

namespace Detector.Modules.Labeling.Sampling;

/// <summary>
/// A result the sampler considers, with what the strategies judge it on: its detections, whether
/// its photo got a production/shadow disagreement, whether it has feedback that may feed the queue.
/// </summary>
internal sealed record Candidate(
    Guid ResultId,
    Guid TenantId,
    DateTimeOffset CreatedAt,
    string Model,
    string Version,
    string ImageSha256,
    int Width,
    int Height,
    IReadOnlyList<DetectedObject> Detections,
    bool HasDisagreement = false,
    bool HasQueuedFeedback = false);

/// <summary>One way of choosing results to label. Pure: it sees candidates in creation order and nothing else.</summary>
internal interface ISamplingStrategy
{
    string Name { get; }

    /// <summary>Whether this result is one the strategy looks for (before share and cap).</summary>
    bool Wants(Candidate candidate);

    /// <summary>Told of every candidate after <see cref="Wants"/>, for strategies that judge a result against those before it.</summary>
    void Observe(Candidate candidate)
    {
    }
}
