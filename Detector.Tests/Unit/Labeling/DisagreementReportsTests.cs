using System.Security.Cryptography;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Rollouts;
using Detector.Modules.Rollouts.Comparison;
using Detector.Modules.Rollouts.Contracts;
using Detector.Modules.Rollouts.Shadow;
using Microsoft.Extensions.Options;

namespace Detector.Tests.Unit.Labeling;

/// <summary>Rollouts tells the disagreement sinks of a tenant's comparison below the threshold, naming the image by the SHA-256 of the bytes compared.</summary>
public sealed class DisagreementReportsTests
{
    private sealed class Sink : IShadowDisagreements
    {
        public List<ShadowDisagreement> Seen { get; } = [];

        public Task RecordAsync(ShadowDisagreement disagreement, CancellationToken cancellationToken)
        {
            Seen.Add(disagreement);
            return Task.CompletedTask;
        }
    }

    private static Pending Pending(byte[] image, Guid? tenant) =>
        new("m", "production", "1", "shadow", image, new DetectionOptions(), [], 1, tenant, 0);

    [Fact]
    public async Task A_tenants_comparison_below_the_threshold_is_reported_with_the_images_sha256_and_both_versions()
    {
        var sink = new Sink();
        var reports = new DisagreementReports([sink], Options.Create(new RolloutsOptions { DisagreementBelow = 0.5 }), TimeProvider.System);
        var image = "jpeg bytes"u8.ToArray();
        var tenant = Guid.NewGuid();

        await reports.ReportAsync(Pending(image, tenant), "1", "2", new ImageComparison(1, 4, 4, 0, new Dictionary<string, int>()), CancellationToken.None);
        await reports.ReportAsync(Pending(image, tenant), "1", "2", new ImageComparison(2, 4, 4, 0, new Dictionary<string, int>()), CancellationToken.None);
        await reports.ReportAsync(Pending(image, null), "1", "2", new ImageComparison(0, 4, 4, 0, new Dictionary<string, int>()), CancellationToken.None);

        var seen = Assert.Single(sink.Seen);
        Assert.Equal((tenant, "m", "1", "2", 0.25), (seen.TenantId, seen.Model, seen.ProductionVersion, seen.CandidateVersion, seen.Agreement));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(image)), seen.ImageSha256);
        Assert.Equal(1.0, Agreement.Of(new ImageComparison(0, 0, 0, 0, new Dictionary<string, int>())));
    }
}
