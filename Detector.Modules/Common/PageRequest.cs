using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Common;

/// <summary>Keyset paging query shared by every listing endpoint: `limit` and the opaque `cursor`.</summary>
public sealed class PageRequest
{
    public const int DefaultLimit = 20;

    /// <summary>Items per page, 1..100 (default 20).</summary>
    [FromQuery(Name = "limit")]
    public int? Limit { get; set; }

    /// <summary>next_cursor of the previous page.</summary>
    [FromQuery(Name = "cursor")]
    public string? Cursor { get; set; }

    public int LimitOrDefault => Limit ?? DefaultLimit;

    public string? CursorOrNull => string.IsNullOrEmpty(Cursor) ? null : Cursor;
}

public sealed class PageRequestValidator : AbstractValidator<PageRequest>
{
    public PageRequestValidator()
    {
        RuleFor(r => r.Limit).InclusiveBetween(1, 100).When(r => r.Limit.HasValue).WithMessage("limit must be between 1 and 100.");
        RuleFor(r => r.Cursor).MaximumLength(200).WithMessage("cursor is too long.");
    }
}
