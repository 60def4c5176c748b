using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Compliance.Audit;

/// <summary>
/// Takes who and from where from the current request (the admin, a tenant's key, or the system
/// for background work) at the moment of the action, and hands the entry to the
/// <see cref="AuditWriter"/>, which links it into the chain.
/// </summary>
internal sealed class AuditTrail(IHttpContextAccessor http, AuditWriter writer) : IAuditTrail
{
    public Task<bool> RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        var context = http.HttpContext;
        var user = context?.User;
        var actor = auditEvent.Actor ?? (context is null ? "system"
            : user is null || user.Identity?.IsAuthenticated != true ? "anonymous"
            : user.IsInRole(TenantClaims.AdminRole) ? "admin"
            : user.FindFirst(TenantClaims.KeyIdClaim)?.Value is { } keyId ? "key:" + keyId
            : "anonymous");
        var tenant = auditEvent.TenantId ?? user?.TryGetTenantId();
        var remote = context?.Connection.RemoteIpAddress?.ToString();
        return writer.EnqueueAsync(new PendingEntry(auditEvent.Action, auditEvent.Status, auditEvent.Detail, actor, tenant, auditEvent.Target, remote));
    }
}
