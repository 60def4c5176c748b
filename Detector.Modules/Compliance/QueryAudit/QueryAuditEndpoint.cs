using System.Globalization;
using Detector.Modules.Compliance.Audit;
using FluentValidation;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Compliance.QueryAudit;

/// <summary>Filters of <c>GET /v1/admin/audit</c>; every one optional.</summary>
internal sealed class AuditQuery
{
    [FromQuery(Name = "tenant_id")]
    public Guid? TenantId { get; set; }

    [FromQuery(Name = "action")]
    public string? Action { get; set; }

    /// <summary>admin, system, or key:&lt;key id&gt;.</summary>
    [FromQuery(Name = "actor")]
    public string? Actor { get; set; }

    [FromQuery(Name = "target")]
    public string? Target { get; set; }

    [FromQuery(Name = "since")]
    public DateTimeOffset? Since { get; set; }

    [FromQuery(Name = "until")]
    public DateTimeOffset? Until { get; set; }

    /// <summary>1..500 (default 100).</summary>
    [FromQuery(Name = "limit")]
    public int? Limit { get; set; }

    /// <summary>next_cursor of the previous page.</summary>
    [FromQuery(Name = "cursor")]
    public string? Cursor { get; set; }
}

internal sealed class AuditQueryValidator : AbstractValidator<AuditQuery>
{
    public AuditQueryValidator()
    {
        RuleFor(q => q.Limit).InclusiveBetween(1, 500).When(q => q.Limit.HasValue).WithMessage("limit must be between 1 and 500.");
        RuleFor(q => q.Action).MaximumLength(100);
        RuleFor(q => q.Actor).MaximumLength(100);
        RuleFor(q => q.Target).MaximumLength(200);
        RuleFor(q => q.Cursor).Must(c => string.IsNullOrEmpty(c) || (long.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var seq) && seq > 0))
            .WithMessage("cursor is not one this API returned.");
    }
}

/// <summary>A page of entries, newest first.</summary>
internal sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);

internal static class QueryAuditEndpoint
{
    public static async Task<Ok<AuditPage>> Handle([AsParameters] AuditQuery query, QueryAuditHandler handler, CancellationToken ct) =>
        TypedResults.Ok(await handler.HandleAsync(query, ct));
}
