using System.Diagnostics;
using Dapper;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Detector.Modules.Compliance.Audit;

/// <summary>
/// Appends entries through <c>audit.append</c>, which links each to the one before it under a
/// cluster-wide transaction lock. Who and from where come from the current request: the admin,
/// a tenant's key, or the system (background work).
/// </summary>
internal sealed partial class AuditTrail(NpgsqlDataSource dataSource, IHttpContextAccessor http, ILogger<AuditTrail> logger) : IAuditTrail
{
    public async Task RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(auditEvent);
        using var activity = DetectorTelemetry.Source.StartActivity("audit.append");
        activity?.SetTag("detector.audit_action", auditEvent.Action);
        var context = http.HttpContext;
        var user = context?.User;
        var actor = auditEvent.Actor ?? (user is null || user.Identity?.IsAuthenticated != true ? "system"
            : user.IsInRole(TenantClaims.AdminRole) ? "admin"
            : user.FindFirst(TenantClaims.KeyIdClaim)?.Value is { } keyId ? "key:" + keyId
            : "anonymous");
        var tenant = auditEvent.TenantId ?? user?.TryGetTenantId();
        var remote = context?.Connection.RemoteIpAddress?.ToString();
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                "SELECT audit.append(@action, @status, @detail, @actor, @tenant, @target, @remote)",
                new { action = auditEvent.Action, status = auditEvent.Status, detail = auditEvent.Detail, actor, tenant, target = auditEvent.Target, remote },
                cancellationToken: cancellationToken));
            ComplianceMetrics.AuditEntries.WithLabels(auditEvent.Action).Inc();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            // The action already happened; failing its answer now would not undo it. The gap is
            // counted (and alerted on) instead.
            ComplianceMetrics.AuditFailures.WithLabels(auditEvent.Action).Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            LogAppendFailed(logger, auditEvent.Action, ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not append audit entry {Action}")]
    private static partial void LogAppendFailed(ILogger logger, string action, Exception exception);
}
