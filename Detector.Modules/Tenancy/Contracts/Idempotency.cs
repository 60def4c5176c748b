
namespace Detector.Modules.Tenancy.Contracts;

/// <summary>
/// The Idempotency-Key behaviour (IETF draft) of an endpoint: per tenant, for a day, the first
/// answer to a key is replayed byte for byte; the same key with another payload is 422, a
/// duplicate while the first is running is 409.
/// </summary>
public interface IIdempotencyFilter
{
    ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate handler);
}

public static class IdempotencyEndpointExtensions
{
    public const string HeaderName = "Idempotency-Key";

    /// <summary>Makes a tenant endpoint honour the Idempotency-Key header.</summary>
    public static RouteHandlerBuilder Idempotent(this RouteHandlerBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddEndpointFilterFactory((factory, next) =>
        {
            var filter = factory.ApplicationServices.GetRequiredService<IIdempotencyFilter>();
            return invocation => filter.InvokeAsync(invocation, next);
        });
    }
}
