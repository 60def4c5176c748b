using System.Security.Claims;
using Detector.Modules.Common;

namespace Detector.Modules.Labeling.Authentication;

/// <summary>Who a labeler is, and the policies of labeler endpoints (ADR 0023: labelers are principals of their own, not tenants).</summary>
internal static class LabelerClaims
{
    public const string Header = "X-Labeler-Key";
    public const string LabelerIdClaim = "detector:labeler_id";
    public const string LabelerPolicy = "labeler";
    public const string ReviewerPolicy = "reviewer";
    public const string LabelerRole = "labeler";
    public const string ReviewerRole = "reviewer";

    /// <summary>The purpose labeler keys are hashed under (Tenancy's <c>IKeyHashing</c>).</summary>
    public const string KeyPurpose = "labeler";

    public const string KeyPrefix = "dl_";

    public static Guid GetLabelerId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(LabelerIdClaim), out var id)
            ? id
            : throw new DomainException(OutcomeKind.Unauthenticated, ErrorCodes.Unauthorized, "Unauthorized", $"A labeler key is required in {Header}.");

    public static bool IsReviewer(this ClaimsPrincipal user) => user.IsInRole(ReviewerRole);
}
