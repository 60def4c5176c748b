using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using static Detector.Tests.Integration.Jobs.JobsTestKit;

namespace Detector.Tests.Integration.Jobs;

/// <summary>
/// What a tenant learns from URL ingest and webhooks: the host it gave, never the private
/// address that host resolved to; and a plan's image size limit holds for fetched images too.
/// </summary>
[Collection("Jobs")]
public sealed class OutboundPrivacyTests(OutboundJobsFactory factory) : IClassFixture<OutboundJobsFactory>
{
    private const string PrivateAddress = "10.0.0.1"; // what OutboundJobsFactory's resolver answers for internal.example
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_url_that_resolves_to_a_private_address_fails_naming_the_host_given_and_never_the_address()
    {
        using var client = await factory.NewTenantAsync("url-leak");
        var accepted = await SubmitAsync(client, JsonContent.Create(new { urls = new[] { "http://internal.example/img.jpg" } }));
        await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, Timeout);

        var item = (await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!)).GetProperty("items")[0];
        var error = item.GetProperty("error");
        Assert.Equal("url_forbidden", error.GetProperty("code").GetString());
        var detail = error.GetProperty("detail").GetString()!;
        Assert.Contains("internal.example", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(PrivateAddress, detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_webhook_to_a_host_that_resolves_to_a_private_address_records_the_refusal_without_the_address()
    {
        using var client = await factory.NewTenantAsync("hook-leak");
        (await client.PostAsync("/v1/webhook-secrets", null)).EnsureSuccessStatusCode();
        var accepted = await SubmitAsync(client, Images(Coco(1)), "?callback_url=" + Uri.EscapeDataString("http://internal.example/hook"));
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

        var error = job.GetProperty("webhook").GetProperty("attempts")[0].GetProperty("error").GetString()!;
        Assert.StartsWith("refused", error, StringComparison.Ordinal);
        Assert.Contains("internal.example", error, StringComparison.Ordinal);
        Assert.DoesNotContain(PrivateAddress, job.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plans_image_size_limit_refuses_a_fetched_image_as_it_refuses_the_same_image_uploaded()
    {
        using var admin = factory.Admin();
        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "small-images" });
        created.EnsureSuccessStatusCode();
        var tenant = await created.Content.ReadFromJsonAsync<JsonElement>();
        var photo = File.ReadAllBytes(CocoFiles[0]);
        using (var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant.GetProperty("id").GetGuid()}/plan", new { max_image_bytes = photo.Length - 1 }))
        {
            plan.EnsureSuccessStatusCode();
        }

        using var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", tenant.GetProperty("api_key").GetString());
        using (var upload = await client.PostAsync("/v1/detect", DetectorApiFactory.ImageForm(photo)))
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, upload.StatusCode);
        }

        var accepted = await SubmitAsync(client, JsonContent.Create(new { urls = new[] { new Uri(factory.Loopback.BaseUri, "/img/0.jpg").ToString() } }));
        var job = await WaitForTerminalAsync(client, accepted.GetProperty("status_url").GetString()!, Timeout);
        Assert.Equal("failed", job.GetProperty("status").GetString());
        var item = (await GetJsonAsync(client, accepted.GetProperty("results_url").GetString()!)).GetProperty("items")[0];
        Assert.Equal("url_too_large", item.GetProperty("error").GetProperty("code").GetString());
    }
}
