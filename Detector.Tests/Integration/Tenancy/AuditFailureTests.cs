using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common.Auditing;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// The admin API records what it did without waiting for the audit log: a broken trail neither
/// fails an answer for an action that already happened nor goes unseen (it is counted by action).
/// </summary>
public sealed class AuditFailureTests
{
    [Fact]
    public async Task Admin_answers_stand_when_the_audit_trail_throws_and_each_failed_record_is_counted()
    {
        await using var host = new TenancyHost(services: s => s.AddSingleton<IAuditTrail, ThrowingTrail>());
        host.Start();
        using var admin = host.Admin();
        var createdBefore = await FailuresAsync(admin, "tenant.create");
        var readBefore = await FailuresAsync(admin, "tenant.read");

        using var created = await admin.PostAsJsonAsync("/v1/admin/tenants", new { name = "audit-broken" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var read = await admin.GetAsync($"/v1/admin/tenants/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        Assert.Equal(createdBefore + 1, await FailuresAsync(admin, "tenant.create"));
        Assert.Equal(readBefore + 1, await FailuresAsync(admin, "tenant.read"));
    }

    private static async Task<double> FailuresAsync(HttpClient client, string action)
    {
        var prefix = $"detector_audit_record_failures_total{{action=\"{action}\"}} ";
        var line = (await client.GetStringAsync("/metrics")).Split('\n').SingleOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        return line is null ? 0 : double.Parse(line[prefix.Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private sealed class ThrowingTrail : IAuditTrail
    {
        public Task<bool> RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("audit trail broken");
    }
}
