using System.Net;
using System.Net.Http.Headers;
using Detector.Modules.Common;
using Npgsql;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// A claim whose request never answered (its instance died) blocks its Idempotency-Key only for
/// Tenancy:Guards:IdempotencyStaleClaimMinutes; then a retry takes it over and runs.
/// </summary>
public sealed class IdempotencyStaleClaimTests
{
    private static readonly byte[] Dog = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

    [Fact]
    public async Task A_claim_left_running_is_taken_over_after_the_configured_stale_claim_window_and_not_before()
    {
        await using var host = new TenancyHost(new Dictionary<string, string?> { ["Tenancy:Guards:IdempotencyStaleClaimMinutes"] = "2" });
        host.Start();
        var (tenantId, _, key) = await host.CreateTenantAsync("idempotent-stale-claim");
        await ClaimAsync(tenantId, "fresh-claim", TimeSpan.FromMinutes(1));
        await ClaimAsync(tenantId, "stale-claim", TimeSpan.FromMinutes(5));
        using var client = host.Client(key);

        using var fresh = await SubmitJobAsync(client, "fresh-claim");
        using var stale = await SubmitJobAsync(client, "stale-claim");

        await ProblemAssert.IsProblemAsync(fresh, HttpStatusCode.Conflict, ErrorCodes.IdempotencyKeyInUse);
        Assert.Equal(HttpStatusCode.Accepted, stale.StatusCode);
    }

    /// <summary>What a request that died while running leaves: a claim without an answer, <paramref name="age"/> old.</summary>
    private static async Task ClaimAsync(Guid tenantId, string key, TimeSpan age)
    {
        await using var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString);
        await connection.OpenAsync();
        await using var claim = new NpgsqlCommand("INSERT INTO tenancy.idempotency (tenant_id, key, state, created_at) VALUES (@t, @k, 'running', now() - @age)", connection);
        claim.Parameters.AddWithValue("t", tenantId);
        claim.Parameters.AddWithValue("k", key);
        claim.Parameters.AddWithValue("age", age);
        await claim.ExecuteNonQueryAsync();
    }

    /// <summary>A job submission: idempotent like a detection, and accepted without waiting for inference (no load shedding to retry past).</summary>
    private static Task<HttpResponseMessage> SubmitJobAsync(HttpClient client, string idempotencyKey)
    {
        var part = new ByteArrayContent(Dog);
        part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = new MultipartFormDataContent { { part, "images", "dog.jpg" } } };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }
}
