using Microsoft.Extensions.Logging;

namespace Detector.Modules.Common.Auditing;

/// <summary>
/// Records an endpoint's calls in the audit log, with the status each ended with: an endpoint
/// says what it does and where its target and tenant are in the route, and the filter does the rest.
/// </summary>
public static class AuditedEndpoints
{
    /// <param name="action">The audit action name.</param>
    /// <param name="targetRouteValue">The route value naming the object acted on, if any.</param>
    /// <param name="tenantRouteValue">The route value naming the tenant (admin routes); null: the calling tenant.</param>
    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action, string? targetRouteValue = null, string? tenantRouteValue = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilterFactory((factory, next) =>
        {
            // Resolved once per endpoint, not on every request.
            var trail = factory.ApplicationServices.GetRequiredService<IAuditTrail>();
            var logger = factory.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuditedEndpoints).FullName!);
            return async context =>
            {
                var http = context.HttpContext;
                object? result;
                try
                {
                    result = await next(context);
                }
                catch (DomainException problem)
                {
                    Record(trail, logger, http, action, targetRouteValue, tenantRouteValue, OutcomeTable.StatusOf(problem.Kind));
                    throw;
                }

                Record(trail, logger, http, action, targetRouteValue, tenantRouteValue, StatusOf(result) ?? http.Response.StatusCode);
                return result;
            };
        });

    /// <summary>Not awaited: the answer does not wait for the audit log's commit (a failure is counted and logged).</summary>
    private static void Record(IAuditTrail trail, ILogger logger, HttpContext http, string action, string? targetRouteValue, string? tenantRouteValue, int status)
    {
        // Load shedding (429, 503) is not an action on anyone's data, and a refusal must stay cheap
        // under overload: no database round trip for it (issue 13). Metrics count refusals.
        if (status is StatusCodes.Status429TooManyRequests or StatusCodes.Status503ServiceUnavailable)
        {
            return;
        }

        var route = http.Request.RouteValues;
        var target = targetRouteValue is not null ? route[targetRouteValue]?.ToString() : null;
        Guid? tenant = tenantRouteValue is not null && Guid.TryParse(route[tenantRouteValue]?.ToString(), out var t) ? t : null;
        trail.Record(new AuditEvent(action, tenant, target, status), logger);
    }

    private static int? StatusOf(object? result)
    {
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }

        return (result as IStatusCodeHttpResult)?.StatusCode;
    }
}
