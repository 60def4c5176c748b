using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Serilog.Core;
using Serilog.Events;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// The tenancy settings moved from the Detector section to Tenancy (issue 21). A deployment that
/// still sets Detector__AdminApiKey and Detector__ApiKeyHashSecret keeps working, and is told at
/// start-up to rename them. Run alone: Serilog's hosting (UseSerilog without preserveStaticLogger)
/// writes every host's logs through the process-wide Log.Logger, which the last host built owns,
/// so a host started beside this one could take its start-up warning into another sink.
/// </summary>
[Collection(Detector.Tests.Integration.IsolatedCollection.Name)]
public sealed class LegacyTenancySectionTests
{
    [Fact]
    public async Task Keys_under_the_old_Detector_section_still_apply_and_the_service_warns_about_the_rename()
    {
        const string LegacyAdminKey = "legacy-section-admin-key-0123456789";
        var sink = new CollectingSink();
        await using var host = new TenancyHost(
            new Dictionary<string, string?>
            {
                ["Tenancy:AdminApiKey"] = null,
                ["Tenancy:ApiKeyHashSecret"] = null,
                ["Detector:AdminApiKey"] = LegacyAdminKey,
                ["Detector:ApiKeyHashSecret"] = "legacy-section-api-key-hash-secret-0123456789",
            },
            services => services.AddSingleton<ILogEventSink>(sink));
        host.Start();

        using var legacyAdmin = host.Client(LegacyAdminKey);
        using var created = await legacyAdmin.PostAsJsonAsync("/v1/admin/tenants", new { name = "legacy-section" });
        using var fixturesAdmin = host.Admin();
        using var refused = await fixturesAdmin.GetAsync("/v1/admin/tenants");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        var warning = Assert.Single(sink.Messages(LogEventLevel.Warning), m => m.Contains("\"Detector\"", StringComparison.Ordinal));
        Assert.Contains("\"Tenancy\"", warning, StringComparison.Ordinal);
    }

    private sealed class CollectingSink : ILogEventSink
    {
        private readonly List<LogEvent> _events = [];

        public void Emit(LogEvent logEvent)
        {
            lock (_events)
            {
                _events.Add(logEvent);
            }
        }

        public List<string> Messages(LogEventLevel level)
        {
            lock (_events)
            {
                return _events.Where(e => e.Level == level).Select(e => e.RenderMessage()).ToList();
            }
        }
    }
}
