using Detector.Modules.Common;
using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Keys;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.RotateApiKey;

internal sealed record RotatedKeyView(NewKeyView Key, Guid ReplacedKeyId, DateTimeOffset ReplacedKeyExpiresAt);

/// <summary>A replacement for an active key; the old one keeps working for the grace, then stops.</summary>
internal sealed partial class RotateApiKeyHandler(KeyStore keys, ILogger<RotateApiKeyHandler> logger)
{
    /// <summary>Default grace of a rotated key: long enough to roll a fleet of clients.</summary>
    public const int DefaultGraceSeconds = 24 * 3600;

    public async Task<RotatedKeyView> HandleAsync(Guid tenantId, Guid keyId, int? graceSeconds, CancellationToken ct)
    {
        var grace = TimeSpan.FromSeconds(graceSeconds ?? DefaultGraceSeconds);
        var (row, key, oldExpiresAt) = await keys.RotateAsync(tenantId, keyId, grace, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.NotFound, "Key not found", $"Tenant {tenantId} has no active key {keyId}.");
        LogRotated(logger, keyId, row.Prefix, tenantId);
        return new RotatedKeyView(NewKeyView.From(row, key), keyId, KeyView.Utc(oldExpiresAt));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rotated API key {KeyId} {KeyPrefix} of tenant {TenantId}")]
    private static partial void LogRotated(ILogger logger, Guid keyId, string keyPrefix, Guid tenantId);
}
