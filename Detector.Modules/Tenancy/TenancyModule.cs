using Detector.Modules.Common;
using Detector.Modules.Tenancy.Authentication;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.CreateTenant;
using Detector.Modules.Tenancy.ListTenants;
using FluentValidation;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Tenancy;

/// <summary>Tenants, API keys, and the authentication every other module relies on.</summary>
public static class TenancyModule
{
    public static IHostApplicationBuilder AddTenancy(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<TenancyOptions>(TenancyOptions.SectionName);
        services.AddMemoryCache();
        services.AddSingleton<TenantStore>();
        services.AddSingleton<IAdminVerifier, AdminVerifier>();
        services.AddScoped<IValidator<CreateTenantRequest>, CreateTenantValidator>();
        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(TenantClaims.TenantPolicy, p => p.RequireClaim(TenantClaims.TenantIdClaim))
            .AddPolicy(TenantClaims.AdminPolicy, p => p.RequireRole(TenantClaims.AdminRole))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());
        return builder;
    }

    public static IEndpointRouteBuilder MapTenancyEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin/tenants")
            .WithTags("Admin")
            .RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapPost("/", CreateTenantEndpoint.Handle)
            .Validate<CreateTenantRequest>()
            .WithName("CreateTenant")
            .WithSummary("Creates a tenant and returns its API key (shown only once).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        admin.MapGet("/", ListTenantsEndpoint.Handle)
            .WithName("ListTenants")
            .WithSummary("Lists active tenants.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }
}
