using FluentValidation;
using Microsoft.AspNetCore.Mvc;

namespace Detector.Modules.Results.ListResults;

internal sealed class ListResultsRequest
{
    [FromQuery(Name = "limit")]
    public int? Limit { get; set; }

    [FromQuery(Name = "cursor")]
    public string? Cursor { get; set; }
}

internal sealed class ListResultsValidator : AbstractValidator<ListResultsRequest>
{
    public ListResultsValidator()
    {
        RuleFor(r => r.Limit).InclusiveBetween(1, 100).When(r => r.Limit.HasValue).WithMessage("limit must be between 1 and 100.");
        RuleFor(r => r.Cursor).MaximumLength(200).WithMessage("cursor is too long.");
    }
}
