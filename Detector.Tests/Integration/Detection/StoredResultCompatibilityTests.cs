using System.Net;
using System.Text.Json;
using Detector.Tests.Integration.Compliance;
using Npgsql;

namespace Detector.Tests.Integration.Detection;

/// <summary>
/// Results stored before <c>schema_version</c> existed stay readable through the API: the fixture
/// is a result document exactly as the service stored it on 2026-12-07 (taken from a benchmark
/// database of that day's build), inserted for a tenant and served back.
/// </summary>
[Collection("Jobs")]
public sealed class StoredResultCompatibilityTests(ComplianceFactory factory) : IClassFixture<ComplianceFactory>
{
    private static readonly string Fixture = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Integration", "Detection", "Fixtures", "result-2026-12-07.json"));

    private static List<string> Detections(JsonElement result) =>
        [.. result.GetProperty("detections").EnumerateArray().Select(d =>
            $"{d.GetProperty("label").GetString()} {d.GetProperty("class_id").GetInt32()} {d.GetProperty("score").GetSingle()} [{string.Join(',', d.GetProperty("box").EnumerateArray().Select(v => v.GetSingle()))}]")];

    [Fact]
    public async Task A_result_stored_before_schema_version_is_served_as_version_1_with_everything_it_had()
    {
        using var admin = factory.Admin();
        using var tenant = await TenantUsage.CreateAsync(factory, admin, "old-result", firstImage: -1);
        var stored = JsonDocument.Parse(Fixture).RootElement;
        var id = Guid.CreateVersion7();
        var document = Fixture.Replace(stored.GetProperty("id").GetString()!, id.ToString(), StringComparison.Ordinal);
        await using (var connection = new NpgsqlConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO results.results (id, tenant_id, created_at, source, model_name, model_version, image_sha256, image_width, image_height, image_storage, document)
                VALUES (@id, @tenant, now(), 'sync', 'yolox_nano_416', '9dc044b5eef1', @sha, 640, 480, 'stored', @document::jsonb)
                """, connection);
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", tenant.TenantId);
            insert.Parameters.AddWithValue("sha", stored.GetProperty("image").GetProperty("sha256").GetString()!);
            insert.Parameters.AddWithValue("document", document);
            await insert.ExecuteNonQueryAsync();
        }

        using var response = await tenant.Client.GetAsync($"/v1/results/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotNull(response.Headers.ETag);
        var served = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(1, served.GetProperty("schema_version").GetInt32());
        Assert.Equal(JsonValueKind.Null, served.GetProperty("cache").ValueKind);
        Assert.Equal(stored.GetProperty("model").GetProperty("version").GetString(), served.GetProperty("model").GetProperty("version").GetString());
        Assert.Equal("stored", served.GetProperty("image").GetProperty("storage").GetString());
        Assert.Equal(Detections(stored), Detections(served));

        var listed = JsonDocument.Parse(await tenant.Client.GetStringAsync("/v1/results")).RootElement.GetProperty("items");
        Assert.Contains(listed.EnumerateArray(), r => r.GetProperty("id").GetGuid() == id);
    }
}
