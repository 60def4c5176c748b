using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// One service instance over real HTTP on the shared test database (the database of ./test.sh),
/// with one model and no job workers: tenancy behaviour is about keys, limits and records, and
/// several instances side by side are what the cluster-wide rules are about.
/// </summary>
public sealed class TenancyHost : WebApplicationFactory<Program>
{
    public const string AdminKey = DetectorApiFactory.AdminKey;
    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public TenancyHost(Dictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _settings = settings ?? [];
        _services = services;
        UseKestrel(0);
    }

    public Uri BaseAddress { get; private set; } = new("http://127.0.0.1");

    public void Start()
    {
        StartServer();
        // The client WebApplicationFactory creates in Kestrel mode points at the port Kestrel bound.
        using var probe = CreateClient();
        BaseAddress = probe.BaseAddress!;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>
        {
            ["Database:ConnectionString"] = DetectorApiFactory.ConnectionString,
            ["Database:MigrationsPath"] = Path.Combine(TestPaths.RepoRoot, "db"),
            ["Tenancy:AdminApiKey"] = AdminKey,
            ["Tenancy:ApiKeyHashSecret"] = "integration-api-key-hash-secret-0123456789",
            ["ImageStore:Encryption:MasterKey"] = TestSecrets.ImageMasterKey,
            ["Compliance:AuditSubjectKey"] = TestSecrets.AuditSubjectKey,
            ["Models:Directory"] = TestPaths.Models,
            ["Models:Enabled:0"] = "yolox_nano_416",
            ["Models:Default"] = "yolox_nano_416",
            ["ImageStore:Path"] = Path.Combine(Path.GetTempPath(), "detector-tenancy-tests", "images"),
            ["Jobs:Hangfire:RunServer"] = "false",
            ["Shutdown:DrainDelaySeconds"] = "0", // in-process hosts stop at once; ShutdownTests covers the drain
            ["Tenancy:Guards:KeyUsageFlushSeconds"] = "0.5",
            ["Serilog:MinimumLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in _settings)
        {
            // A null value leaves the setting out (bound as null, it would still override the legacy name's value).
            if (value is null)
            {
                settings.Remove(key);
            }
            else
            {
                settings[key] = value;
            }
        }

        builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(settings));
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }

    public HttpClient Client(string? apiKey = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, BaseAddress = BaseAddress });
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", apiKey);
        }

        return client;
    }

    public HttpClient Admin() => Client(AdminKey);

    /// <summary>A new tenant (optionally with a plan change); its id, first key id and key.</summary>
    public async Task<(Guid Id, Guid KeyId, string Key)> CreateTenantAsync(string name, object? plan = null)
    {
        using var admin = Admin();
        using var response = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name });
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("id").GetGuid();
        if (plan is not null)
        {
            using var updated = await admin.PutAsJsonAsync($"/v1/admin/tenants/{id}/plan", plan);
            Assert.True(updated.IsSuccessStatusCode, await updated.Content.ReadAsStringAsync());
        }

        return (id, body.GetProperty("key_id").GetGuid(), body.GetProperty("api_key").GetString()!);
    }
}

/// <summary>Two instances on one database, as two VMs behind a load balancer.</summary>
public sealed class TwoInstances : IAsyncLifetime
{
    public TenancyHost A { get; } = new();

    public TenancyHost B { get; } = new();

    public Task InitializeAsync()
    {
        A.Start();
        B.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await A.DisposeAsync();
        await B.DisposeAsync();
    }
}
