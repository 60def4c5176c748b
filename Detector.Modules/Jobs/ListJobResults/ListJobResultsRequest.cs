using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Jobs.ListJobResults;

internal sealed class ListJobResultsRequest
{
    /// <summary>Items per page, 1..100 (default 20).</summary>
    [FromQuery(Name = "limit")]
    public int? Limit { get; set; }

    /// <summary>next_cursor of the previous page.</summary>
    [FromQuery(Name = "cursor")]
    public string? Cursor { get; set; }
}

internal sealed class ListJobResultsValidator : AbstractValidator<ListJobResultsRequest>
{
    public ListJobResultsValidator()
    {
        RuleFor(r => r.Limit).InclusiveBetween(1, 100).When(r => r.Limit.HasValue).WithMessage("limit must be between 1 and 100.");
        RuleFor(r => r.Cursor).MaximumLength(200).WithMessage("cursor is too long.");
    }
}
