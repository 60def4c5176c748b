using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Inference.Contracts;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration;

/// <summary>
/// The real service on Kestrel (real sockets on loopback) against the real PostgreSQL that
/// test.sh starts (Database__ConnectionString), with the real models from ../shared.
/// One instance is shared by the whole "api" collection: loading and warming four models is
/// the expensive part.
/// </summary>
public sealed class DetectorApiFactory : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminKey = "integration-admin-key-0123456789";

    public DetectorApiFactory()
    {
        ImageStorePath = Path.Combine(Path.GetTempPath(), "detector-tests", Guid.NewGuid().ToString("N"), "images");
        UseKestrel(0);
    }

    public string ImageStorePath { get; }

    public static string ConnectionString =>
        Environment.GetEnvironmentVariable("Database__ConnectionString") is { Length: > 0 } cs
            ? cs
            : throw new InvalidOperationException("Integration tests need PostgreSQL: run them through ./test.sh, which starts a private cluster and sets Database__ConnectionString.");

    /// <summary>Extra configuration for fixtures that need a differently tuned service.</summary>
    internal Dictionary<string, string?> Overrides { get; } = [];

    /// <summary>Services a fixture puts in place of the service's own (fault injection).</summary>
    internal Action<IServiceCollection>? TestServices { get; set; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, config) =>
        {
            var settings = new Dictionary<string, string?>
            {
                ["Database:ConnectionString"] = ConnectionString,
                ["Database:MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
                ["Tenancy:AdminApiKey"] = AdminKey,
                ["Tenancy:ApiKeyHashSecret"] = "integration-api-key-hash-secret-0123456789",
                ["ImageStore:Encryption:MasterKey"] = TestSecrets.ImageMasterKey,
                ["Compliance:AuditSubjectKey"] = TestSecrets.AuditSubjectKey,
                ["Models:Directory"] = TestPaths.Models,
                ["ImageStore:Path"] = ImageStorePath,
                ["Serilog:MinimumLevel:Default"] = "Warning",
                ["Shutdown:DrainDelaySeconds"] = "0", // in-process hosts stop at once; ShutdownTests covers the drain
                // Tests that name a model expect that model: a burst from the test before must not
                // step the ladder down under them. DegradationTests turns it on for itself.
                ["Inference:Degradation:Enabled"] = "false",
            };
            foreach (var (key, value) in Overrides)
            {
                settings[key] = value;
            }

            config.AddInMemoryCollection(settings);
        });
        if (TestServices is { } configure)
        {
            builder.ConfigureTestServices(configure);
        }
    }

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1");

    public async Task InitializeAsync()
    {
        StartServer();
        var addresses = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        BaseAddress = new Uri(addresses.First());
        ClientOptions.BaseAddress = BaseAddress;
        await Services.GetRequiredService<IInferenceReadiness>().WhenReady.WaitAsync(TimeSpan.FromMinutes(3));
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync().AsTask();

    public HttpClient CreateAnonymousClient() => CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = BaseAddress });

    public HttpClient CreateAdminClient()
    {
        var client = CreateAnonymousClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    /// <summary>A new tenant and a client that sends its key.</summary>
    public async Task<(HttpClient Client, Guid TenantId)> CreateTenantClientAsync(string name = "test")
    {
        using var admin = CreateAdminClient();
        using var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var client = CreateAnonymousClient();
        client.DefaultRequestHeaders.Add("X-Api-Key", body.RootElement.GetProperty("api_key").GetString());
        return (client, body.RootElement.GetProperty("id").GetGuid());
    }

    public static MultipartFormDataContent ImageForm(byte[] bytes, string fileName = "image.jpg", string contentType = "image/jpeg", string field = "image")
    {
        var file = new ByteArrayContent(bytes);
        file.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return new MultipartFormDataContent { { file, field, fileName } };
    }
}

[CollectionDefinition(Name)]
public sealed class ApiCollection : ICollectionFixture<DetectorApiFactory>
{
    public const string Name = "api";
}
