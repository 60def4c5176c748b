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

    public async Task ReportAsync(Pending pending, string productionVersion, string candidateVersion, ImageComparison comparison, CancellationToken ct)
    {
        var agreement = Agreement.Of(comparison);
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
