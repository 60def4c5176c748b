namespace Detector.Modules.Common.Auditing;

/// <summary>
/// One thing someone did, for the audit log. Who did it (tenant key, admin, the system) and from
/// where are taken from the current request by the log itself.
/// </summary>
/// <param name="Action">What, as a stable dotted name: <c>result.read</c>, <c>key.revoke</c>, <c>tenant.erase</c>.</param>
/// <param name="TenantId">Whose data it concerns, when not the calling tenant's (admin actions name the tenant).</param>
/// <param name="Target">The object acted on: a result, job or key id, an image hash.</param>
/// <param name="Status">The HTTP status it ended with, when it was a request.</param>
/// <param name="Detail">A short machine-readable note (counts of an erasure), never personal data.</param>
/// <param name="Actor">Who, when the request's user does not say (the dashboard's Basic admin login).</param>
public sealed record AuditEvent(string Action, Guid? TenantId = null, string? Target = null, int? Status = null, string? Detail = null, string? Actor = null);

/// <summary>
/// The append-only, tamper-evident audit log (the Compliance module keeps it). Every module
/// records through this shared-kernel interface, so none depends on the module that keeps it.
/// </summary>
public interface IAuditTrail
{
    /// <summary>
    /// Records the event, taking who and from where from the current request. The entry is
    /// written off the request path, in order, within moments; the task completes when it is
    /// durable (true) or lost (false), so only callers that must know (an erase receipt) await it.
    /// Never throws: a failure is logged and counted.
    /// </summary>
    Task<bool> RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken);
}
