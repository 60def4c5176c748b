using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Keys;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.CreateApiKey;

/// <summary>Another API key for a tenant; the key itself is in this answer only, listings show its prefix.</summary>
internal sealed partial class CreateApiKeyHandler(KeyStore keys, ILogger<CreateApiKeyHandler> logger)
{
    public async Task<NewKeyView> HandleAsync(Guid tenantId, string? name, string kind, CancellationToken ct)
    {
        var (row, key) = await keys.CreateAsync(tenantId, name, kind, ct) ?? throw AdminProblems.TenantNotFound(tenantId);
        LogCreated(logger, row.Kind, row.Id, row.Prefix, tenantId);
        return NewKeyView.From(row, key);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Created {KeyKind} API key {KeyId} {KeyPrefix} of tenant {TenantId}")]
    private static partial void LogCreated(ILogger logger, string keyKind, Guid keyId, string keyPrefix, Guid tenantId);
}
