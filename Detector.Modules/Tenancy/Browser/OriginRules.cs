namespace Detector.Modules.Tenancy.Browser;

/// <summary>
/// What an allowed origin may be: http or https, a host, an optional port, nothing else (no
/// path, query, fragment, credentials or wildcard). Stored in the form browsers send in the
/// Origin header (lower-case, default port left out), so a request's origin matches exactly.
/// </summary>
internal static class OriginRules
{
    /// <summary>The origin as browsers serialise it, or null with why it is not one.</summary>
    public static string? Canonical(string? origin, out string? error)
    {
        error = null;
        var text = origin?.Trim() ?? "";
        if (text.Length is 0 or > 253 || text.Contains('*', StringComparison.Ordinal))
        {
            error = $"'{origin}' is not an origin (scheme://host[:port], no wildcards).";
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{origin}' is not an http or https origin.";
            return null;
        }

        // A bare origin has no path; Uri adds "/" to "https://a.example", so only a typed path is refused.
        var typedPath = text.IndexOf('/', uri.Scheme.Length + 3) >= 0;
        if (typedPath || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            error = $"'{origin}' has a path, query, fragment or credentials; an origin is scheme://host[:port] only.";
            return null;
        }

        // Browsers send a name in its ASCII (punycode) form and an IPv6 address in brackets.
        var host = uri.HostNameType == UriHostNameType.IPv6 ? uri.Host : uri.IdnHost;
        return uri.IsDefaultPort ? $"{uri.Scheme}://{host}" : $"{uri.Scheme}://{host}:{uri.Port}";
    }
}
