namespace Detector.Modules.Tenancy.Contracts;

/// <summary>Endpoint metadata: browser keys may call this endpoint (from their tenant's allowed origins).</summary>
public sealed class BrowserKeysAllowed
{
    public static readonly BrowserKeysAllowed Instance = new();

    private BrowserKeysAllowed()
    {
    }
}

/// <summary>
/// How an endpoint opts in to browser keys. Every endpoint is closed to them unless it says so
/// (the authorization policies refuse a browser key with 403 key_not_allowed elsewhere), so a new
/// endpoint can never be reached from a web page by accident.
/// </summary>
public static class BrowserKeys
{
    public static TBuilder AllowBrowserKeys<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(BrowserKeysAllowed.Instance);
}
