using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Admin;
using Detector.Modules.Tenancy.Authentication;
using Detector.Modules.Tenancy.Browser;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.CreateApiKey;
using Detector.Modules.Tenancy.CreateTenant;
using Detector.Modules.Tenancy.DisableTenant;
using Detector.Modules.Tenancy.EnableTenant;
using Detector.Modules.Tenancy.GetTenant;
using Detector.Modules.Tenancy.GetUsage;
using Detector.Modules.Tenancy.Idempotency;
using Detector.Modules.Tenancy.Keys;
using Detector.Modules.Tenancy.ListApiKeys;
using Detector.Modules.Tenancy.ListTenants;
using Detector.Modules.Tenancy.RateLimiting;
using Detector.Modules.Tenancy.RevokeApiKey;
using Detector.Modules.Tenancy.RotateApiKey;
using Detector.Modules.Tenancy.SetAllowedOrigins;
using Detector.Modules.Tenancy.Tenants;
using Detector.Modules.Tenancy.UpdateTenantPlan;
using Detector.Modules.Tenancy.Usage;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Tenancy;

/// <summary>
/// Tenants as customers: plans, API keys and their lifecycle, the authentication every other
/// module relies on, cluster-wide rate limits, image quotas and idempotency (ADR 0007).
/// </summary>
public static class TenancyModule
{
    public static IHostApplicationBuilder AddTenancy(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<TenancyOptions>(TenancyOptions.SectionName, TenancyOptions.LegacySectionName);
        services.AddValidatedOptions<PlanOptions>(PlanOptions.SectionName);
        services.AddValidatedOptions<GuardOptions>(GuardOptions.SectionName);
        services.AddValidatedOptions<CorsOptions>(CorsOptions.SectionName);
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<KeyHasher>();
        services.AddSingleton<IKeyHashing>(sp => sp.GetRequiredService<KeyHasher>());
        services.AddSingleton<TenantMetricIds>();
        services.AddSingleton<TenantViews>();
        services.AddSingleton<RegionChangeGuard>();
        services.AddSingleton<KeyStore>();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<Plans>();
        services.AddSingleton<TenancyCache>();
        services.AddSingleton<ITenantChanges, TenantChanges>();
        services.AddSingleton<ITenantDirectory, TenantDirectory>();
        services.AddSingleton<ITenantLifecycle, TenantLifecycle>();
        services.AddSingleton<IAdminVerifier, AdminVerifier>();
        services.AddSingleton<KeyGuard>();
        services.AddSingleton<TenantKeyLookup>();
        services.AddSingleton<KeyUsageTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<KeyUsageTracker>());
        services.AddSingleton<TenancyChangeFeed>();
        services.AddHostedService(sp => sp.GetRequiredService<TenancyChangeFeed>());
        services.AddHealthChecks().AddCheck<TenancyChangeFeed>("tenancy_changes", tags: ["ready"]);
        services.AddSingleton<BrowserOrigins>();
        services.AddHostedService(sp => sp.GetRequiredService<BrowserOrigins>());
        services.AddSingleton<IAuthorizationHandler, BrowserKeyHandler>();

        services.AddSingleton<IUsageMeter, UsageMeter>();
        services.AddValidatedOptions<CostOptions>(CostOptions.SectionName);
        services.AddSingleton<IRequestCost, RequestCost>();
        services.AddSingleton<RateBucketStore>();
        services.AddSingleton<TenantBuckets>();
        services.AddRateLimiter(o => o.AddPolicy<BucketKey, TenantRateLimitPolicy>(TenantClaims.RateLimitPolicy));
        services.AddSingleton<IdempotencyStore>();
        services.AddSingleton<IIdempotencyRecords>(sp => sp.GetRequiredService<IdempotencyStore>());
        services.AddSingleton<IIdempotencyFilter, IdempotencyFilter>();
        services.AddHostedService<IdempotencyCleanup>();

        // One handler per use case of the admin and usage API.
        services.AddSingleton<CreateTenantHandler>();
        services.AddSingleton<ListTenantsHandler>();
        services.AddSingleton<GetTenantHandler>();
        services.AddSingleton<UpdateTenantPlanHandler>();
        services.AddSingleton<SetAllowedOriginsHandler>();
        services.AddSingleton<DisableTenantHandler>();
        services.AddSingleton<EnableTenantHandler>();
        services.AddSingleton<CreateApiKeyHandler>();
        services.AddSingleton<ListApiKeysHandler>();
        services.AddSingleton<RotateApiKeyHandler>();
        services.AddSingleton<RevokeApiKeyHandler>();
        services.AddSingleton<GetUsageHandler>();
        services.AddScoped<IValidator<CreateTenantRequest>, CreateTenantValidator>();
        services.AddScoped<IValidator<CreateKeyRequest>, CreateKeyValidator>();
        services.AddScoped<IValidator<SetOriginsRequest>, SetOriginsValidator>();
        services.AddScoped<IValidator<RotateKeyRequest>, RotateKeyValidator>();
        services.AddSingleton<IAuthorizationHandler, ServedRegionHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, RegionAwareAuthorizationResultHandler>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        // Every policy refuses browser keys except from their allowed origins on endpoints that opted in (ADR 0027).
        services.AddAuthorizationBuilder()
            .AddPolicy(TenantClaims.TenantPolicy, p => p.RequireClaim(TenantClaims.TenantIdClaim).AddRequirements(new ServedRegionRequirement(), new BrowserKeyRequirement()))
            .AddPolicy(TenantClaims.AdminPolicy, p => p.RequireRole(TenantClaims.AdminRole).AddRequirements(new BrowserKeyRequirement()))
            .SetDefaultPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new BrowserKeyRequirement()).Build())
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().AddRequirements(new BrowserKeyRequirement()).Build());
        return builder;
    }

    /// <summary>
    /// Answers CORS preflights from memory, without a key (ADR 0027). The host places it before the
    /// database breaker and authentication, so a preflight never gets 401 or 503.
    /// </summary>
    public static IApplicationBuilder UseCorsPreflight(this IApplicationBuilder app) => app.UseMiddleware<CorsPreflight>();

    public static IEndpointRouteBuilder MapTenancyEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin/tenants").WithTags("Admin").RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapPost("/", CreateTenantEndpoint.Handle).Validate<CreateTenantRequest>()
            .WithName("CreateTenant").WithSummary("Creates a tenant on a plan (default: the configured default plan) and returns its first API key, shown only once.");
        admin.MapGet("/", ListTenantsEndpoint.Handle)
            .WithName("ListTenants").WithSummary("Lists tenants, newest first (include_disabled=true for all).");
        admin.MapGet("/{id:guid}", GetTenantEndpoint.Handle)
            .Audited("tenant.read", tenantRouteValue: "id")
            .WithName("GetTenant").WithSummary("One tenant with its effective plan and its keys (prefixes only).");
        admin.MapPut("/{id:guid}/plan", UpdateTenantPlanEndpoint.Handle)
            .Audited("tenant.plan.update", tenantRouteValue: "id")
            .WithName("UpdateTenantPlan").WithSummary("Sets the tenant's plan: a configured plan as base (or the current plan), with any fields given overriding it. Takes effect on every instance at once.");
        admin.MapPut("/{id:guid}/origins", SetAllowedOriginsEndpoint.Handle).Validate<SetOriginsRequest>()
            .Audited("tenant.origins.update", tenantRouteValue: "id")
            .WithName("SetAllowedOrigins").WithSummary("Sets the origins (scheme://host[:port], exact) the tenant's browser keys may call from; [] allows none. Takes effect on every instance at once.");
        admin.MapPost("/{id:guid}/disable", DisableTenantEndpoint.Handle)
            .Audited("tenant.disable", tenantRouteValue: "id")
            .WithName("DisableTenant").WithSummary("Disables the tenant: its keys stop working on every instance within moments, and its queued job work waits.");
        admin.MapPost("/{id:guid}/enable", EnableTenantEndpoint.Handle)
            .Audited("tenant.enable", tenantRouteValue: "id")
            .WithName("EnableTenant").WithSummary("Re-enables a disabled tenant.");
        admin.MapPost("/{id:guid}/keys", CreateApiKeyEndpoint.Handle).Validate<CreateKeyRequest>()
            .Audited("key.create", tenantRouteValue: "id")
            .WithName("CreateApiKey").WithSummary("Creates another API key for the tenant, shown only once: kind secret (default) or browser (detect and read its own results, from the tenant's allowed origins only).");
        admin.MapGet("/{id:guid}/keys", ListApiKeysEndpoint.Handle)
            .Audited("key.list", tenantRouteValue: "id")
            .WithName("ListApiKeys").WithSummary("The tenant's keys: kind (secret or browser), prefix, status, created, last used (to within about 30 s), expiry, revocation.");
        admin.MapPost("/{id:guid}/keys/{keyId:guid}/rotate", RotateApiKeyEndpoint.Handle).Validate<RotateKeyRequest>()
            .Audited("key.rotate", "keyId", "id")
            .WithName("RotateApiKey").WithSummary("Creates a replacement key; the old one keeps working for grace_seconds (default a day), then stops.");
        admin.MapDelete("/{id:guid}/keys/{keyId:guid}", RevokeApiKeyEndpoint.Handle)
            .Audited("key.revoke", "keyId", "id")
            .WithName("RevokeApiKey").WithSummary("Revokes the key at once, on every instance.");
        admin.ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status404NotFound);

        app.MapGet("/v1/usage", GetUsageEndpoint.Handle)
            .RequireAuthorization(TenantClaims.TenantPolicy)
            .RequireRateLimiting(TenantClaims.RateLimitPolicy)
            .WithTags("Usage")
            .WithName("GetUsage")
            .WithSummary("The calling tenant's plan and its image usage today and this month (UTC), with when each resets.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status429TooManyRequests);
        return app;
    }
}
