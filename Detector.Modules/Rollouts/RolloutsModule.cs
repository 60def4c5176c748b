using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Rollouts.Comparison;
using Detector.Modules.Rollouts.GetRollout;
using Detector.Modules.Rollouts.Guardrails;
using Detector.Modules.Rollouts.PromoteRollout;
using Detector.Modules.Rollouts.Shadow;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Rollouts;

/// <summary>
/// Safe rollout of model versions (ADR 0018): each variant's traffic over a sliding window,
/// off-path comparisons with production (shadow versions, canaries), guardrails that set a
/// breaching variant's share to 0, promotion, and the rollout view.
/// </summary>
public static class RolloutsModule
{
    public static IHostApplicationBuilder AddRollouts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<RolloutsOptions>(RolloutsOptions.SectionName);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<RolloutState>();
        builder.Services.AddSingleton<ComparisonQueue>();
        builder.Services.AddSingleton<DisagreementReports>();
        builder.Services.AddSingleton<IDetectionObserver, TrafficObserver>();
        builder.Services.AddHostedService<OffPathComparisons>();
        builder.Services.AddHostedService<CanaryGuardrails>();
        builder.Services.AddSingleton<GetRolloutHandler>();
        builder.Services.AddSingleton<PromoteRolloutHandler>();
        return builder;
    }

    public static IEndpointRouteBuilder MapRolloutsEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin/rollouts").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapGet("/{model}", GetRolloutEndpoint.Handle)
            .WithName("GetRollout").WithSummary("The model's rollout on this instance: aliases and traffic shares, each variant's requests, errors, latency and detections per image, each candidate's agreement with production (shadow, canary), the last guardrail breach.");
        admin.MapPost("/{model}/promote", PromoteRolloutEndpoint.Handle)
            .WithName("PromoteRollout").WithSummary("Points production at the variant's version (default canary) and removes the variant.");
        admin.ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict);
        return app;
    }
}
