using FluentValidation;

namespace Detector.Modules.Common;

/// <summary>Runs the FluentValidation validator of <typeparamref name="T"/> on the endpoint's argument before the handler.</summary>
public sealed class ValidationFilter<T> : IEndpointFilter
    where T : class
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var validator = context.HttpContext.RequestServices.GetService<IValidator<T>>();
        var argument = context.Arguments.OfType<T>().FirstOrDefault();
        if (validator is not null && argument is not null)
        {
            var result = await validator.ValidateAsync(argument, context.HttpContext.RequestAborted);
            if (!result.IsValid)
            {
                var detail = string.Join(" ", result.Errors.Select(e => e.ErrorMessage));
                var problem = new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Validation failed", detail);
                var details = ProblemWriter.Create(context.HttpContext, problem);
                details.Extensions["errors"] = result.Errors
                    .GroupBy(e => e.PropertyName)
                    .ToDictionary(g => g.Key, g => g.Select(e => e.ErrorMessage).ToArray());
                return TypedResults.Problem(details);
            }
        }

        return await next(context);
    }
}

public static class ValidationFilterExtensions
{
    public static RouteHandlerBuilder Validate<T>(this RouteHandlerBuilder builder)
        where T : class => builder.AddEndpointFilter<ValidationFilter<T>>();
}
