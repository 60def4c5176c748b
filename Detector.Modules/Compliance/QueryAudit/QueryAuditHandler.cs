using System.Globalization;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.Audit;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Compliance.QueryAudit;

/// <summary>A page of audit entries, newest first, this instance's own entries included; reading the log is itself recorded.</summary>
internal sealed class QueryAuditHandler(AuditStore store, AuditWriter writer, IAuditTrail audit, ILogger<QueryAuditHandler> logger)
{
    public async Task<AuditPage> HandleAsync(AuditQuery query, CancellationToken ct)
    {
        await writer.FlushAsync(); // this instance's own entries first
        var limit = query.Limit ?? 100;
        long? before = string.IsNullOrEmpty(query.Cursor) ? null : long.Parse(query.Cursor, CultureInfo.InvariantCulture);
        var items = await store.QueryAsync(
            new AuditFilter(query.TenantId, query.Action, query.Actor, query.Target, query.Since?.ToUniversalTime(), query.Until?.ToUniversalTime(), before, limit), ct);
        // After the read, so a page never shows its own entry.
        audit.Record(new AuditEvent("audit.read", query.TenantId, Status: 200), logger);
        return new AuditPage(items, items.Count == limit ? items[^1].Seq.ToString(CultureInfo.InvariantCulture) : null);
    }
}
