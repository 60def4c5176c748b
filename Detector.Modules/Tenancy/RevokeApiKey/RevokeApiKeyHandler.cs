using Detector.Modules.Common;
using Detector.Modules.Tenancy.Keys;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.RevokeApiKey;

/// <summary>Revokes a key at once, on every instance (the change is announced).</summary>
internal sealed partial class RevokeApiKeyHandler(KeyStore keys, ILogger<RevokeApiKeyHandler> logger)
{
    public async Task HandleAsync(Guid tenantId, Guid keyId, CancellationToken ct)
    {
        if (!await keys.RevokeAsync(tenantId, keyId, ct))
        {
            throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Key not found", $"Tenant {tenantId} has no key {keyId}.");
        }

        LogRevoked(logger, keyId, tenantId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Revoked API key {KeyId} of tenant {TenantId}")]
    private static partial void LogRevoked(ILogger logger, Guid keyId, Guid tenantId);
}
