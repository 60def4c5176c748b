namespace Detector.Modules.Detection.Contracts;

/// <summary>
/// Something besides results that may still need a tenant's stored image (a job item waiting to
/// be detected). Modules above Results implement it, so the detect-and-record use case can ask
/// before it removes the image of a failed detection without depending on them.
/// </summary>
public interface IImageHolder
{
    Task<bool> HoldsAsync(Guid tenantId, string sha256, CancellationToken cancellationToken);
}
