using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Detector.Modules.Images.Storage;

/// <summary>Readiness: an instance that cannot reach its image store, or whose master key does not open the stored data keys, cannot accept uploads.</summary>
internal sealed class ImageStoreHealthCheck(IImageBackend backend, Encryption.TenantKeyStore keys) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await backend.CheckAsync(cancellationToken);
            await keys.VerifyMasterKeysAsync(cancellationToken);
            return HealthCheckResult.Healthy(backend.Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"image store ({backend.Name}) unreachable: {ex.Message}");
        }
    }
}
