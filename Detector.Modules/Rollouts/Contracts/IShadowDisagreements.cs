namespace Detector.Modules.Rollouts.Contracts;

/// <summary>
/// An off-path comparison whose two versions disagreed on a tenant's photo: agreement (F1 of the
/// candidate's boxes against production's at IoU 0.5) below <c>Rollouts:DisagreementBelow</c>.
/// <paramref name="ImageSha256"/> is the SHA-256 (lowercase hex) of the bytes the pipeline ran on,
/// which are the bytes the Images store keeps for the request's result (the upload after its
/// metadata was stripped), so it names the stored image.
/// </summary>
public sealed record ShadowDisagreement(Guid TenantId, string Model, string ProductionVersion, string CandidateVersion, string ImageSha256, double Agreement, DateTimeOffset At);

/// <summary>
/// Told of every disagreement the Rollouts module's off-path comparisons find, off the request's
/// path (the Labeling module records them so its queue can pick the matching results).
/// An implementation may be slow but must not throw for a disagreement it cannot keep.
/// </summary>
public interface IShadowDisagreements
{
    Task RecordAsync(ShadowDisagreement disagreement, CancellationToken cancellationToken);
}
