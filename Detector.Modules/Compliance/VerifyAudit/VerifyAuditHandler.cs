using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.Audit;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Compliance.VerifyAudit;

/// <summary>Verifies the chain with this instance's own entries written first; the verification is itself recorded.</summary>
internal sealed class VerifyAuditHandler(AuditVerifier verifier, AuditWriter writer, IAuditTrail audit, ILogger<VerifyAuditHandler> logger)
{
    public async Task<AuditVerification> HandleAsync(VerifyAuditQuery query, CancellationToken ct)
    {
        await writer.FlushAsync();
        var verification = await verifier.VerifyAsync(AuditHead.TryParse(query.ExpectHead, out var expected) ? expected : null, ct); // validated before
        audit.Record(new AuditEvent("audit.verify", Status: 200, Detail: verification.Valid ? "valid" : "invalid"), logger);
        return verification;
    }
}
