using Detector.Modules.Tenancy.Browser;

namespace Detector.Tests.Unit.Tenancy;

/// <summary>Allowed origins are bare origins, kept in the form browsers send in the Origin header.</summary>
public sealed class OriginRulesTests
{
    [Theory]
    [InlineData("https://app.example.com", "https://app.example.com")]
    [InlineData("HTTPS://App.Example.COM:443", "https://app.example.com")]
    [InlineData("http://127.0.0.1:5173", "http://127.0.0.1:5173")]
    [InlineData("http://localhost:80", "http://localhost")]
    [InlineData("https://app.example.com:8443", "https://app.example.com:8443")]
    [InlineData("http://[::1]:5173", "http://[::1]:5173")]
    [InlineData("https://bücher.example", "https://xn--bcher-kva.example")]
    public void An_origin_is_stored_as_a_browser_serialises_it(string given, string stored) =>
        Assert.Equal(stored, OriginRules.Canonical(given, out _));

    [Theory]
    [InlineData("")]
    [InlineData("app.example.com")]
    [InlineData("ftp://app.example.com")]
    [InlineData("https://*.example.com")]
    [InlineData("https://app.example.com/")]
    [InlineData("https://app.example.com/path")]
    [InlineData("https://app.example.com?x=1")]
    [InlineData("https://app.example.com#top")]
    [InlineData("https://user:pass@app.example.com")]
    [InlineData("null")]
    public void Anything_but_a_bare_http_or_https_origin_is_refused_with_a_reason(string given)
    {
        Assert.Null(OriginRules.Canonical(given, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }
}
