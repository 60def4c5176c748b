using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.Audit;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Compliance.VerifyAudit;

/// <summary>
/// Recomputes the whole chain. 200 with <c>valid: true</c> and the head to keep elsewhere (an
/// entry removed from the tail is only visible against a head recorded before), or 200 with
/// <c>valid: false</c> and where it breaks: the answer is the verification, not an error.
/// </summary>
internal static class VerifyAuditEndpoint
{
    public static async Task<Ok<AuditVerification>> Handle(AuditStore store, AuditWriter writer, IAuditTrail audit, CancellationToken ct)
    {
        await writer.FlushAsync();
        var verification = await store.VerifyAsync(ct);
        _ = audit.RecordAsync(new AuditEvent("audit.verify", Status: 200, Detail: verification.Valid ? "valid" : "invalid"), CancellationToken.None);
        return TypedResults.Ok(verification);
    }
}
