using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Tenancy.Keys;
using Detector.Modules.Tenancy.Tenants;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;

namespace Detector.Modules.Tenancy.Admin;

internal sealed record CreateTenantRequest(string? Name, string? Plan);

internal sealed record CreateTenantResponse(Guid Id, string Name, string ApiKey, Guid KeyId, DateTimeOffset CreatedAt, TenantPlan Plan);

internal sealed record TenantSummary(Guid Id, string Name, string Status, string? Plan, DateTimeOffset CreatedAt, DateTimeOffset? DisabledAt);

internal sealed record TenantListResponse(IReadOnlyList<TenantSummary> Tenants);

internal sealed class CreateTenantValidator : AbstractValidator<CreateTenantRequest>
{
    public CreateTenantValidator(Plans plans)
    {
        RuleFor(r => r.Name).NotEmpty().WithMessage("name is required.")
            .MaximumLength(200).WithMessage("name must be at most 200 characters.");
        RuleFor(r => r.Plan).Must(p => plans.Named(p!) is not null).When(r => r.Plan is not null)
            .WithMessage(r => $"plan must be one of {string.Join(", ", plans.Names)}.");
    }
}

/// <summary>Admin: tenants and their lifecycle.</summary>
internal static partial class TenantEndpoints
{
    public static async Task<Created<CreateTenantResponse>> Create(CreateTenantRequest request, TenantStore store, Plans plans, IAuditTrail audit, ILoggerFactory loggers, CancellationToken ct)
    {
        var plan = request.Plan is { } name ? plans.Named(name)! : plans.Default;
        var (tenant, keyRow, key) = await store.CreateAsync(request.Name!.Trim(), plan, ct);
        LogCreated(loggers.CreateLogger("Detector.Modules.Tenancy"), tenant.Id, plan.Name, keyRow.Prefix);
        _ = audit.RecordAsync(new AuditEvent("tenant.create", tenant.Id, Target: keyRow.Id.ToString(), Status: 201, Detail: plan.Name), CancellationToken.None);
        return TypedResults.Created($"/v1/admin/tenants/{tenant.Id}", new CreateTenantResponse(tenant.Id, tenant.Name, key, keyRow.Id, KeyView.Utc(tenant.CreatedAt), plan));
    }

    public static async Task<Ok<TenantListResponse>> List([FromQuery(Name = "include_disabled")] bool? includeDisabled, TenantStore store, CancellationToken ct)
    {
        var rows = await store.ListAsync(includeDisabled ?? false, 1000, ct);
        return TypedResults.Ok(new TenantListResponse(rows.Select(r => new TenantSummary(
            r.Id, r.Name, r.DisabledAt is null ? "active" : "disabled", r.PlanName, KeyView.Utc(r.CreatedAt), r.DisabledAt is { } d ? KeyView.Utc(d) : null)).ToList()));
    }

    public static async Task<Ok<TenantView>> Get(Guid id, TenantStore store, KeyStore keys, Plans plans, TimeProvider time, CancellationToken ct) =>
        TypedResults.Ok(await TenantViews.LoadAsync(id, store, keys, plans, time, ct) ?? throw NotFound(id));

    public static Task<Ok<TenantView>> Disable(Guid id, TenantStore store, KeyStore keys, Plans plans, TimeProvider time, ILoggerFactory loggers, CancellationToken ct) =>
        SetDisabled(id, true, store, keys, plans, time, loggers, ct);

    public static Task<Ok<TenantView>> Enable(Guid id, TenantStore store, KeyStore keys, Plans plans, TimeProvider time, ILoggerFactory loggers, CancellationToken ct) =>
        SetDisabled(id, false, store, keys, plans, time, loggers, ct);

    private static async Task<Ok<TenantView>> SetDisabled(Guid id, bool disabled, TenantStore store, KeyStore keys, Plans plans, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        if (!await store.SetDisabledAsync(id, disabled, ct))
        {
            throw NotFound(id);
        }

        LogDisabled(loggers.CreateLogger("Detector.Modules.Tenancy"), id, disabled);
        return TypedResults.Ok((await TenantViews.LoadAsync(id, store, keys, plans, time, ct))!);
    }

    public static ProblemException NotFound(Guid id) => new(404, ErrorCodes.NotFound, "Tenant not found", $"No tenant {id}.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Created tenant {TenantId} on plan {Plan} with key {KeyPrefix}…")]
    private static partial void LogCreated(ILogger logger, Guid tenantId, string plan, string keyPrefix);

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {TenantId} disabled: {Disabled}")]
    private static partial void LogDisabled(ILogger logger, Guid tenantId, bool disabled);
}
