namespace Detector.Modules.Tenancy.Contracts;

/// <summary>
/// The Idempotency-Key behaviour (IETF draft) of an endpoint: per tenant, for a day, the first
/// final answer to a key is replayed byte for byte; the same key with another payload is 422, a
/// duplicate while the first is running is 409.
/// </summary>
public interface IIdempotencyFilter
{
    ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate handler);
}

/// <summary>
/// The remembered answers, for the modules that delete what an answer refers to: a deleted result
/// or erased job must not come back as a replay, so its deleter forgets the answers about it.
/// </summary>
public interface IIdempotencyRecords
{
    /// <summary>
    /// Forgets the tenant's remembered answers whose subject (<see cref="IdempotencyEndpointExtensions.SetIdempotencySubject"/>)
    /// is one of <paramref name="subjectIds"/>: the same request with the same key then runs as a
    /// new request. Returns how many were forgotten.
    /// </summary>
    Task<int> ForgetAsync(Guid tenantId, IReadOnlyCollection<Guid> subjectIds, CancellationToken cancellationToken);
}

public static class IdempotencyEndpointExtensions
{
    public const string HeaderName = "Idempotency-Key";
    private static readonly object SubjectKey = new();

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

    /// <summary>
    /// Tells the Idempotency-Key filter what this answer is about (the result or job it created),
    /// so that deleting that forgets the answer (<see cref="IIdempotencyRecords.ForgetAsync"/>).
    /// </summary>
    public static void SetIdempotencySubject(this HttpContext http, Guid subjectId)
    {
        ArgumentNullException.ThrowIfNull(http);
        http.Items[SubjectKey] = subjectId;
    }

    /// <summary>The subject the endpoint named, if any.</summary>
    public static Guid? GetIdempotencySubject(this HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        return http.Items.TryGetValue(SubjectKey, out var subject) && subject is Guid id ? id : null;
    }
}
