using System.Security.Cryptography;
using Detector.Modules.Rollouts.Comparison;
using Detector.Modules.Rollouts.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Rollouts.Shadow;

/// <summary>
/// Passes a comparison whose agreement fell below <see cref="RolloutsOptions.DisagreementBelow"/>
/// to every <see cref="IShadowDisagreements"/>; only comparisons of a tenant's request, since the
/// photo is the tenant's.
/// </summary>
internal sealed class DisagreementReports(IEnumerable<IShadowDisagreements> sinks, IOptions<RolloutsOptions> options, TimeProvider time)
{
    private readonly IShadowDisagreements[] _sinks = [.. sinks];

    /// <summary>F1 of the candidate's boxes against the reference's; two empty answers agree.</summary>
    public static double Agreement(ImageComparison c) =>
        c.Candidate + c.Reference == 0 ? 1.0 : 2.0 * c.Matched / (c.Candidate + c.Reference);

    public async Task ReportAsync(Pending pending, string productionVersion, string candidateVersion, ImageComparison comparison, CancellationToken ct)
    {
        var agreement = Agreement(comparison);
        if (_sinks.Length == 0 || pending.TenantId is not { } tenantId || agreement >= options.Value.DisagreementBelow)
        {
            return;
        }

        var disagreement = new ShadowDisagreement(tenantId, pending.Model, productionVersion, candidateVersion, Convert.ToHexStringLower(SHA256.HashData(pending.Image)), agreement, time.GetUtcNow());
        foreach (var sink in _sinks)
        {
            await sink.RecordAsync(disagreement, ct);
        }
    }
}
