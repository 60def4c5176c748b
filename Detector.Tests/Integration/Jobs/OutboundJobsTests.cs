using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Detector.Modules.Outbound.UrlFetch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>The service with a loopback image server / webhook receiver allow-listed, stub DNS and a loopback-only connector.</summary>
public sealed class OutboundJobsFactory : JobsApiFactory
{
    public const string SigningSecret = "whsec-test-0123456789abcdef";
    public const string PublicBaseUrl = "https://detector.example.com";

    public LoopbackServer Loopback { get; private set; } = null!;

    internal LoopbackOnlyConnector Connector { get; } = new();

    public override async Task InitializeAsync()
    {
        Loopback = await LoopbackServer.StartAsync();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Loopback.DisposeAsync();
    }

    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Jobs:UrlFetch:AllowedHosts:0", $"127.0.0.1:{Loopback.Port}"),
        new("Jobs:UrlFetch:MaxBytes", (1024 * 1024).ToString(CultureInfo.InvariantCulture)),
        new("Jobs:UrlFetch:TimeoutSeconds", "10"),
        new("Jobs:Webhooks:SigningSecret", SigningSecret),
        new("Deployment:PublicBaseUrl", PublicBaseUrl),
        new("Jobs:Webhooks:InitialDelaySeconds", "0.2"),
        new("Jobs:Webhooks:MaxDelaySeconds", "1"),
        new("Jobs:DisabledTenantRecheckSeconds", "1"),
    ];

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<IHostResolver>();
        services.AddSingleton<IHostResolver>(new StubResolver(new Dictionary<string, IPAddress[]>
        {
            ["internal.example"] = [IPAddress.Parse("10.0.0.1")],
        }));
        services.RemoveAll<ISocketConnector>();
        services.AddSingleton<ISocketConnector>(Connector);
    }
}

[Collection("Jobs")]
public sealed class OutboundJobsTests(OutboundJobsFactory factory) : IClassFixture<OutboundJobsFactory>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_url_job_fetches_allowed_images_and_fails_forbidden_oversized_and_non_image_urls_with_their_codes()
    {
        using var client = await factory.NewTenantAsync();
        var server = factory.Loopback.BaseUri;
        string[] urls =
        [
            new Uri(server, "/img/0.jpg").ToString(),
            new Uri(server, "/big.jpg").ToString(),
            new Uri(server, "/text.jpg").ToString(),
            new Uri(server, "/redirect/" + Uri.EscapeDataString("http://169.254.169.254/latest/meta-data/")).ToString(),
            "http://internal.example/img.jpg",
            "http://10.0.0.1/img.jpg",
            new Uri(server, "/redirect/" + Uri.EscapeDataString("/img/1.jpg")).ToString(),
        ];
        var accepted = await SubmitAsync(client, JsonContent.Create(new { urls }));
        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, Timeout);

        Assert.Equal("partially_failed", job.GetProperty("status").GetString());
        var items = (await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!)).GetProperty("items");
        string?[] expected = [null, "url_too_large", "url_not_an_image", "url_forbidden", "url_forbidden", "url_forbidden", null];
        for (var i = 0; i < urls.Length; i++)
        {
            var item = items[i];
            Assert.Equal(i, item.GetProperty("index").GetInt32());
            Assert.Equal(urls[i], item.GetProperty("url").GetString());
            if (expected[i] is null)
            {
                Assert.Equal("succeeded", item.GetProperty("status").GetString());
                Assert.Equal("job", item.GetProperty("result").GetProperty("source").GetString());
            }
            else
            {
                Assert.Equal("failed", item.GetProperty("status").GetString());
                Assert.Equal(expected[i], item.GetProperty("error").GetProperty("code").GetString());
            }
        }

        Assert.Empty(factory.Connector.Violations);
        Assert.All(factory.Connector.Connects, e => Assert.True(IPAddress.IsLoopback(e.Address)));
    }

    [Fact]
    public async Task A_photo_fetched_from_a_url_is_stored_without_its_metadata_like_an_upload()
    {
        using var client = await factory.NewTenantAsync("url-privacy");
        var accepted = await SubmitAsync(client, JsonContent.Create(new { urls = new[] { new Uri(factory.Loopback.BaseUri, "/phone/3.jpg").ToString() } }));
        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, Timeout);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());
        var result = (await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!)).GetProperty("items")[0].GetProperty("result");
        var sha = result.GetProperty("image").GetProperty("sha256").GetString()!;
        var tenant = (await factory.QueryTenantOfJobAsync(Guid.Parse(accepted.GetProperty("id").GetString()!)));

        var stored = await factory.Services.GetRequiredService<Detector.Modules.Images.Contracts.IImageStore>().GetAsync(tenant, sha, CancellationToken.None);
        Assert.NotNull(stored);
        Assert.Equal(sha, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stored)));
        Assert.All(Detector.Tests.Unit.Images.PhotosWithMetadata.Secrets, s => Assert.False(Detector.Tests.Unit.Images.PhotosWithMetadata.Contains(stored, s), s));
    }

    [Fact]
    public async Task The_completion_webhook_is_signed_retried_after_two_failures_and_every_attempt_is_recorded()
    {
        using var client = await factory.NewTenantAsync();
        var secret = await CreateSecretAsync(client);
        var hook = new Uri(factory.Loopback.BaseUri, "/hook/retry-twice").ToString();
        var accepted = await SubmitAsync(client, Images(Coco(2)), "?callback_url=" + Uri.EscapeDataString(hook));
        var statusUrl = accepted.GetProperty("status_url").GetString()!;
        var job = await WaitForTerminalAsync(client, statusUrl, Timeout);
        Assert.Equal("succeeded", job.GetProperty("status").GetString());

        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (job.GetProperty("webhook").GetProperty("status").GetString() != "delivered")
        {
            Assert.True(DateTime.UtcNow < deadline, "webhook not delivered: " + job);
            await Task.Delay(200);
            job = await GetJsonAsync(client, statusUrl);
        }

        var attempts = job.GetProperty("webhook").GetProperty("attempts").EnumerateArray().ToList();
        Assert.Equal(3, attempts.Count);
        Assert.Equal(500, attempts[0].GetProperty("status_code").GetInt32());
        Assert.Equal(500, attempts[1].GetProperty("status_code").GetInt32());
        Assert.Equal(200, attempts[2].GetProperty("status_code").GetInt32());
        Assert.Equal(JsonValueKind.Null, attempts[2].GetProperty("error").ValueKind);
        Assert.All(attempts, a => Assert.True(a.GetProperty("duration_ms").GetDouble() >= 0));

        var deliveries = factory.Loopback.Hooks["retry-twice"].ToList();
        Assert.Equal(3, deliveries.Count);
        foreach (var (signature, body, at) in deliveries)
        {
            Assert.True(Verify(signature, body, secret, at, out var reason), reason);
            Assert.False(Verify(signature, body + " ", secret, at, out _));
            Assert.False(Verify(signature, body, OutboundJobsFactory.SigningSecret, at, out _)); // the master key never signs
        }

        var payload = JsonDocument.Parse(deliveries[^1].Body).RootElement;
        Assert.Equal("job.completed", payload.GetProperty("type").GetString());
        Assert.Equal(accepted.GetProperty("id").GetString(), payload.GetProperty("id").GetString());
        Assert.Equal("succeeded", payload.GetProperty("status").GetString());
        Assert.Equal(2, payload.GetProperty("counts").GetProperty("succeeded").GetInt32());
        Assert.Equal(OutboundJobsFactory.PublicBaseUrl + statusUrl + "/results", payload.GetProperty("results_url").GetString());
        Assert.Empty(factory.Connector.Violations);
    }

    [Fact]
    public async Task A_callback_url_to_a_forbidden_address_is_never_contacted()
    {
        using var client = await factory.NewTenantAsync();
        await CreateSecretAsync(client);
        var accepted = await SubmitAsync(client, Images(Coco(1)), "?callback_url=" + Uri.EscapeDataString("http://169.254.169.254/hook"));
        var statusUrl = accepted.GetProperty("status_url").GetString()!;
        await WaitForTerminalAsync(client, statusUrl, Timeout);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        JsonElement job;
        do
        {
            await Task.Delay(200);
            job = await GetJsonAsync(client, statusUrl);
            Assert.True(DateTime.UtcNow < deadline, "no webhook attempt recorded: " + job);
        }
        while (job.GetProperty("webhook").GetProperty("attempts").GetArrayLength() == 0);

        var first = job.GetProperty("webhook").GetProperty("attempts")[0];
        Assert.Equal(JsonValueKind.Null, first.GetProperty("status_code").ValueKind);
        Assert.StartsWith("refused", first.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(factory.Connector.Violations);
    }

    [Fact]
    public async Task Each_tenants_webhooks_verify_only_with_its_own_secret_and_a_forged_host_changes_nothing()
    {
        using var a = await factory.NewTenantAsync("hook-a");
        using var b = await factory.NewTenantAsync("hook-b");
        var secretA = await CreateSecretAsync(a);
        var secretB = await CreateSecretAsync(b);
        Assert.NotEqual(secretA, secretB);

        var hook = new Uri(factory.Loopback.BaseUri, "/hook/tenant-a").ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs?callback_url=" + Uri.EscapeDataString(hook)) { Content = Images(Coco(1)) };
        request.Headers.Host = "evil.example";
        using var submitted = await a.SendAsync(request);
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var accepted = await submitted.Content.ReadFromJsonAsync<JsonElement>();
        var (signature, body, at) = await WaitForHookAsync("tenant-a");

        Assert.True(Verify(signature, body, secretA, at, out var reason), reason);
        Assert.False(Verify(signature, body, secretB, at, out _));
        Assert.DoesNotContain("evil", body, StringComparison.OrdinalIgnoreCase);
        var payload = JsonDocument.Parse(body).RootElement;
        Assert.Equal($"{OutboundJobsFactory.PublicBaseUrl}/v1/jobs/{accepted.GetProperty("id").GetString()}", payload.GetProperty("status_url").GetString());
    }

    [Fact]
    public async Task A_rotated_secret_keeps_signing_through_the_overlap_and_a_revoked_one_stops_at_once()
    {
        using var client = await factory.NewTenantAsync("hook-rotate");
        var old = await CreateSecretAsync(client);
        using var rotated = await client.PostAsync("/v1/webhook-secrets?overlap_seconds=3600", null);
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var created = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var fresh = created.GetProperty("secret").GetString()!;
        Assert.NotEqual(JsonValueKind.Null, created.GetProperty("previous_retire_at").ValueKind);

        var listed = await GetJsonAsync(client, "/v1/webhook-secrets");
        Assert.Equal(2, listed.GetProperty("items").GetArrayLength());
        Assert.DoesNotContain(old, listed.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(fresh, listed.ToString(), StringComparison.Ordinal);

        var (signature, body, at) = await DeliverAsync(client, "rotate-overlap");
        Assert.True(Verify(signature, body, fresh, at, out var reason), reason);
        Assert.True(Verify(signature, body, old, at, out reason), reason);

        var oldId = listed.GetProperty("items")[1].GetProperty("id").GetString();
        using (var revoked = await client.DeleteAsync($"/v1/webhook-secrets/{oldId}"))
        {
            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        }

        (signature, body, at) = await DeliverAsync(client, "rotate-revoked");
        Assert.True(Verify(signature, body, fresh, at, out reason), reason);
        Assert.False(Verify(signature, body, old, at, out _));
        using var again = await client.DeleteAsync($"/v1/webhook-secrets/{oldId}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task A_callback_without_a_tenant_secret_is_refused_before_anything_is_kept()
    {
        using var client = await factory.NewTenantAsync("hook-no-secret");
        var hook = new Uri(factory.Loopback.BaseUri, "/hook/never").ToString();

        using var response = await client.PostAsync("/v1/jobs?callback_url=" + Uri.EscapeDataString(hook), Images(Coco(1)));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, Detector.Modules.Common.ErrorCodes.WebhookSecretMissing);
        Assert.False(factory.Loopback.Hooks.ContainsKey("never"));
    }

    private static async Task<string> CreateSecretAsync(HttpClient client)
    {
        using var response = await client.PostAsync("/v1/webhook-secrets", null);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var secret = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        return secret;
    }

    private async Task<(string Signature, string Body, DateTimeOffset At)> DeliverAsync(HttpClient client, string hook)
    {
        var accepted = await SubmitAsync(client, Images(Coco(1)), "?callback_url=" + Uri.EscapeDataString(new Uri(factory.Loopback.BaseUri, "/hook/" + hook).ToString()));
        await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, Timeout);
        return await WaitForHookAsync(hook);
    }

    private async Task<(string Signature, string Body, DateTimeOffset At)> WaitForHookAsync(string hook)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (factory.Loopback.Hooks.TryGetValue(hook, out var deliveries) && deliveries.TryPeek(out var first))
            {
                return first;
            }

            Assert.True(DateTime.UtcNow < deadline, $"no delivery to /hook/{hook}");
            await Task.Delay(100);
        }
    }

    /// <summary>What a receiver does: recompute the HMAC over "t.body", compare in constant time with each v1, reject stale timestamps.</summary>
    private static bool Verify(string header, string body, string secret, DateTimeOffset receivedAt, out string reason)
    {
        var parts = header.Split(',').Select(p => p.Split('=', 2)).ToList();
        var t = parts.FirstOrDefault(p => p[0] == "t")?[1];
        var signatures = parts.Where(p => p[0] == "v1").Select(p => p[1]).ToList();
        if (t is null || signatures.Count == 0)
        {
            reason = "malformed header " + header;
            return false;
        }

        var age = receivedAt.ToUnixTimeSeconds() - long.Parse(t, CultureInfo.InvariantCulture);
        if (Math.Abs(age) > 300)
        {
            reason = "stale timestamp";
            return false;
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(t + "." + body));
        reason = "signature mismatch";
        return signatures.Any(v1 => CryptographicOperations.FixedTimeEquals(expected, Convert.FromHexString(v1)));
    }
}
