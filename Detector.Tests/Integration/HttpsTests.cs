using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;

namespace Detector.Tests.Integration;

/// <summary>
/// HTTPS from configuration, as production runs it: the real service process with a certificate
/// file given in Kestrel's configuration, HSTS on HTTPS answers, and plain HTTP redirected, except
/// the probes and the metrics scrape.
/// </summary>
[Collection("Jobs")]
public sealed class HttpsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CrashHarness _harness = new(output);
    private readonly string _folder = Directory.CreateTempSubdirectory("detector-https-").FullName;

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        await _harness.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_certificate_from_configuration_serves_https_with_hsts_and_plain_http_is_redirected_except_probes_and_metrics()
    {
        using var certificate = SelfSigned("api.detector.test");
        var pfx = Path.Combine(_folder, "server.pfx");
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(12));
        await File.WriteAllBytesAsync(pfx, certificate.Export(X509ContentType.Pfx, password));
        var (httpPort, httpsPort) = (ServiceProcess.FreePort(), ServiceProcess.FreePort());

        await _harness.StartAsync("https", httpPort, new Dictionary<string, string>
        {
            ["Kestrel__Endpoints__Http__Url"] = $"http://127.0.0.1:{httpPort}",
            ["Kestrel__Endpoints__Https__Url"] = $"https://127.0.0.1:{httpsPort}",
            ["Kestrel__Endpoints__Https__Certificate__Path"] = pfx,
            ["Kestrel__Endpoints__Https__Certificate__Password"] = password,
            ["Transport__TrustedProxies__0"] = "127.0.0.1",
        });

        using var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            // Trust exactly the generated certificate: the test proves the configured one is served.
            ServerCertificateCustomValidationCallback = (_, served, _, _) => served?.Thumbprint == certificate.Thumbprint,
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };

        using (var secure = await SendAsync(client, $"https://127.0.0.1:{httpsPort}/v1/models", host: "api.detector.test"))
        {
            Assert.Equal(HttpStatusCode.OK, secure.StatusCode);
            Assert.Equal("max-age=31536000", Assert.Single(secure.Headers.GetValues("Strict-Transport-Security")));
        }

        using (var plain = await SendAsync(client, $"http://127.0.0.1:{httpPort}/v1/models?x=1"))
        {
            Assert.Equal(HttpStatusCode.TemporaryRedirect, plain.StatusCode);
            Assert.Equal(new Uri($"https://127.0.0.1:{httpsPort}/v1/models?x=1"), plain.Headers.Location);
            Assert.False(plain.Headers.Contains("Strict-Transport-Security")); // HSTS only over HTTPS (RFC 6797)
        }

        foreach (var path in new[] { "/health/live", "/health/ready", "/metrics" })
        {
            using var probe = await SendAsync(client, $"http://127.0.0.1:{httpPort}{path}");
            Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
        }

        // Behind a trusted load balancer that ended TLS: plain HTTP forwarded as https is served,
        // and the client's address is the one the audit log records.
        using (var forwarded = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{httpPort}/v1/admin/audit?limit=1"))
        {
            forwarded.Headers.Add("X-Api-Key", JobsApiFactory.AdminKey);
            forwarded.Headers.Add("X-Forwarded-For", "203.0.113.7");
            forwarded.Headers.Add("X-Forwarded-Proto", "https");
            using var response = await client.SendAsync(forwarded);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        // HSTS reaches clients of the proxy too: the forwarded scheme is https (docker-compose.yml trusts its proxy for this).
        using (var forwarded = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{httpPort}/health/live"))
        {
            forwarded.Headers.Host = "api.detector.test";
            forwarded.Headers.Add("X-Forwarded-Proto", "https");
            using var response = await client.SendAsync(forwarded);
            Assert.Equal("max-age=31536000", Assert.Single(response.Headers.GetValues("Strict-Transport-Security")));
        }

        using var audit = await SendAsync(client, $"https://127.0.0.1:{httpsPort}/v1/admin/audit?action=audit.read&limit=1");
        var entry = System.Text.Json.JsonDocument.Parse(await audit.Content.ReadAsStringAsync()).RootElement.GetProperty("items")[0];
        Assert.Equal("203.0.113.7", entry.GetProperty("remote_addr").GetString());
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string url, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-Api-Key", JobsApiFactory.AdminKey);
        if (host is not null)
        {
            // A host name: the framework leaves localhost and loopback addresses out of HSTS.
            request.Headers.Host = host;
        }

        return await client.SendAsync(request);
    }

    private static X509Certificate2 SelfSigned(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(name);
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
    }
}
