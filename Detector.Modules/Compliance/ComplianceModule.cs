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
        builder.AddAuditVerification();
        services.AddHttpContextAccessor();
        services.AddSingleton<AuditWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<AuditWriter>());
        services.AddHostedService<AuditHeadLog>();
        services.AddSingleton<IAuditTrail, AuditTrail>();
        services.AddSingleton<AuditStore>();
        services.AddSingleton<AuditPruner>();
        services.AddScoped<IValidator<VerifyAuditQuery>, VerifyAuditQueryValidator>();
        services.AddSingleton<TenantData>();
        services.AddSingleton<TenantEraser>();
        services.AddSingleton<LeftoverErasure>();
        services.AddSingleton<EraseTenantHandler>();
        services.AddSingleton<QueryAuditHandler>();
        services.AddSingleton<VerifyAuditHandler>();
        services.AddSingleton<TenantRetention>();
        services.AddTransient<RetentionJob>();
        services.AddSingleton<RetentionSchedule>();
        services.AddScoped<IValidator<AuditQuery>, AuditQueryValidator>();
        // Whether this instance schedules retention decides what is registered, so it is read here, from this module's own section.
        if (builder.Configuration.GetSection(ComplianceOptions.SectionName).GetValue(nameof(ComplianceOptions.RetentionEnabled), true))
        {
            services.AddHostedService(sp => sp.GetRequiredService<RetentionSchedule>());
        }

        return builder;
    }

    /// <summary>What verifying the audit log needs, and no more: the service and the <c>audit verify</c> command share it.</summary>
    public static IHostApplicationBuilder AddAuditVerification(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ComplianceOptions>(ComplianceOptions.SectionName);
        builder.Services.AddSingleton<AuditSubjects>();
        builder.Services.AddSingleton<AuditVerifier>();
        return builder;
    }

    /// <summary>
    /// <c>audit verify [--expect-head &lt;seq&gt;:&lt;hash&gt;]</c> on a host built with
    /// <see cref="AddAuditVerification"/>: prints the result and the head; 0 valid, 1 broken, 2 not checked.
    /// </summary>
    public static Task<int> VerifyAuditAsync(IServiceProvider services, string? expectHead, TextWriter output, TextWriter error, CancellationToken ct) =>
        VerifyAuditCommand.RunAsync(services, expectHead, output, error, ct);

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
            .Validate<VerifyAuditQuery>()
            .WithName("VerifyAudit")
            .WithSummary("Recomputes the audit log's hash chain (from retention's checkpoint): valid, or the entries where it breaks (changed, missing, redacted without a record); returns the head to record elsewhere, and checks one recorded earlier (expect_head=<seq>:<hash>), which shows a cut-off tail.")
            .ProducesProblem(StatusCodes.Status400BadRequest);
        admin.ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return app;
    }
}
