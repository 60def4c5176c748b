using Detector.Modules.Compliance.Audit;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Compliance.VerifyAudit;

/// <summary>Parameters of <c>GET /v1/admin/audit/verify</c>.</summary>
internal sealed class VerifyAuditQuery
{
    /// <summary>A head recorded earlier (<c>&lt;seq&gt;:&lt;hash&gt;</c>): verification fails if it is missing or differs, which is how a cut tail shows.</summary>
    [FromQuery(Name = "expect_head")]
    public string? ExpectHead { get; set; }
}

internal sealed class VerifyAuditQueryValidator : AbstractValidator<VerifyAuditQuery>
{
    public VerifyAuditQueryValidator()
    {
        RuleFor(q => q.ExpectHead).Must(h => h is null || AuditHead.TryParse(h, out _))
            .WithMessage("expect_head must be " + AuditHead.FormatHelp + ".");
    }
}

/// <summary>
/// Recomputes the whole chain. 200 with <c>valid: true</c> and the head to keep elsewhere (an
/// entry removed from the tail is only visible against a head recorded before: pass it as
/// <c>expect_head</c>), or 200 with <c>valid: false</c> and where it breaks: the answer is the
/// verification, not an error.
/// </summary>
internal static class VerifyAuditEndpoint
{
    public static async Task<Ok<AuditVerification>> Handle([AsParameters] VerifyAuditQuery query, VerifyAuditHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(query, ct));
}
