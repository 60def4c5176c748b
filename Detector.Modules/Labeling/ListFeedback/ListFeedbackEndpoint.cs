using System.Security.Claims;
using Detector.Modules.Tenancy.Contracts;

namespace Detector.Modules.Labeling.ListFeedback;

/// <summary>GET /v1/results/{id}/feedback: the tenant's own result only (another tenant's answers 404 like a missing one).</summary>
internal static class ListFeedbackEndpoint
{
    public static Task<FeedbackList> Handle(Guid id, ClaimsPrincipal user, ListFeedbackHandler handler, CancellationToken ct) =>
        handler.HandleAsync(user.GetTenantId(), id, ct);
}
