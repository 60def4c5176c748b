using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Compliance.ApplyRetention;
using Detector.Modules.Compliance.Audit;
using Detector.Modules.Compliance.EraseTenant;
using Detector.Modules.Compliance.QueryAudit;
using Detector.Modules.Compliance.VerifyAudit;
using Detector.Modules.Tenancy.Contracts;
using FluentValidation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Compliance;

/// <summary>
/// Users' photos as personal data (ADR 0012): the tamper-evident audit log every module writes to,
/// retention by each tenant's plan, and the erase of a whole tenant with its receipt. It sits on
/// top of the modules that hold tenant data and asks each, through its contract, to remove its own.
/// </summary>
public static class ComplianceModule
{
    public static IHostApplicationBuilder AddCompliance(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<ComplianceOptions>(ComplianceOptions.SectionName);
        services.AddHttpContextAccessor();
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        services.AddSingleton<IAuditTrail, AuditTrail>();
        services.AddSingleton<AuditStore>();
        services.AddSingleton<TenantEraser>();
        services.AddTransient<RetentionJob>();
        services.AddScoped<IValidator<AuditQuery>, AuditQueryValidator>();
        // Whether this instance schedules retention decides what is registered, so it is read here, from this module's own section.
        if (builder.Configuration.GetSection(ComplianceOptions.SectionName).GetValue(nameof(ComplianceOptions.RetentionEnabled), true))
        {
            services.AddHostedService<RetentionSchedule>();
        }

        return builder;
    }

    public static IEndpointRouteBuilder MapComplianceEndpoints(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/v1/admin").WithTags("Compliance").RequireAuthorization(TenantClaims.AdminPolicy);
        admin.MapPost("/tenants/{id:guid}/erase", EraseTenantEndpoint.Handle)
            .WithName("EraseTenant")
            .WithSummary("Erases the tenant and every trace of it (images, results, jobs and items, webhook attempts and secrets, Hangfire jobs, idempotency records, usage, keys, plan; its audit entries lose who and what) and returns the receipt.")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapGet("/audit", QueryAuditEndpoint.Handle)
            .Validate<AuditQuery>()
            .WithName("QueryAudit")
            .WithSummary("Audit log entries, newest first, filtered by tenant_id, action, actor, target, since and until; pass next_cursor back as cursor.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        admin.MapGet("/audit/verify", VerifyAuditEndpoint.Handle)
            .WithName("VerifyAudit")
            .WithSummary("Recomputes the audit log's hash chain: valid, or the entries where it breaks (changed, missing); returns the head to record elsewhere.");
        admin.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }
}
