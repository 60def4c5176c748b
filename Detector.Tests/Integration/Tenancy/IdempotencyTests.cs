using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using Npgsql;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>Idempotency-Key on POST /v1/detect and POST /v1/jobs, across two instances.</summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class IdempotencyTests(TwoInstances instances)
{
    private static readonly byte[] Dog = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));
    private static readonly byte[] Horses = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "horses.jpg"));

    [Fact]
    public async Task A_repeat_with_the_same_payload_gets_the_first_answer_byte_for_byte_and_is_not_counted_again()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("idempotent-detect");
        using var onA = instances.A.Client(key);
        using var onB = instances.B.Client(key);

        // Each MultipartFormDataContent picks its own random boundary, as a retrying client would.
        using var first = await DetectAsync(onA, Dog, "key-1");
        using var repeat = await DetectAsync(onB, Dog, "key-1");

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, repeat.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await repeat.Content.ReadAsByteArrayAsync());
        Assert.Equal("true", repeat.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.False(first.Headers.Contains("Idempotent-Replayed"));
        Assert.Equal(first.Content.Headers.ContentType, repeat.Content.Headers.ContentType);

        var usage = await onA.GetFromJsonAsync<JsonElement>("/v1/usage");
        Assert.Equal(1, usage.GetProperty("day").GetProperty("used").GetInt64());
        var results = await onA.GetFromJsonAsync<JsonElement>("/v1/results?limit=10");
        Assert.Equal(1, results.GetProperty("items").GetArrayLength());
        Assert.NotEqual(Guid.Empty, tenantId);
    }

    [Fact]
    public async Task The_same_key_with_another_payload_is_422()
    {
        var (_, _, key) = await instances.A.CreateTenantAsync("idempotent-reused");
        using var client = instances.A.Client(key);

        Assert.Equal(HttpStatusCode.OK, (await DetectAsync(client, Dog, "key-2")).StatusCode);
        await ProblemAssert.IsProblemAsync(await DetectAsync(client, Horses, "key-2"), HttpStatusCode.UnprocessableEntity, ErrorCodes.IdempotencyKeyReused);
        await ProblemAssert.IsProblemAsync(await DetectAsync(client, Dog, "key-2", query: "?min_score=0.9"), HttpStatusCode.UnprocessableEntity, ErrorCodes.IdempotencyKeyReused);
    }

    [Fact]
    public async Task A_duplicate_while_the_first_request_still_runs_is_409()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("idempotent-running");
        await using (var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString))
        {
            // What the first request holds while it runs: a claim without an answer.
            await connection.OpenAsync();
            await using var claim = new NpgsqlCommand("INSERT INTO tenancy.idempotency (tenant_id, key, state) VALUES (@t, 'key-3', 'running')", connection);
            claim.Parameters.AddWithValue("t", tenantId);
            await claim.ExecuteNonQueryAsync();
        }

        using var client = instances.B.Client(key);
        using var response = await DetectAsync(client, Dog, "key-3");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, ErrorCodes.IdempotencyKeyInUse);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Keys_of_two_tenants_never_collide()
    {
        var (_, _, keyA) = await instances.A.CreateTenantAsync("idempotent-a");
        var (_, _, keyB) = await instances.A.CreateTenantAsync("idempotent-b");
        using var a = instances.A.Client(keyA);
        using var b = instances.A.Client(keyB);

        using var fromA = await DetectAsync(a, Dog, "shared-key");
        using var fromB = await DetectAsync(b, Horses, "shared-key");

        Assert.Equal(HttpStatusCode.OK, fromA.StatusCode);
        Assert.Equal(HttpStatusCode.OK, fromB.StatusCode);
        Assert.False(fromB.Headers.Contains("Idempotent-Replayed"));
        var idA = (await fromA.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var idB = (await fromB.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.NotEqual(idA, idB);
    }

    [Fact]
    public async Task A_job_submitted_twice_with_one_key_is_created_and_counted_once()
    {
        var (tenantId, _, key) = await instances.A.CreateTenantAsync("idempotent-job");
        using var client = instances.A.Client(key);

        using var first = await SubmitJobAsync(client, "job-key");
        using var repeat = await SubmitJobAsync(instances.B.Client(key), "job-key");

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, repeat.StatusCode);
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await repeat.Content.ReadAsByteArrayAsync());
        Assert.Equal(first.Headers.Location, repeat.Headers.Location);

        await using var connection = new NpgsqlConnection(DetectorApiFactory.ConnectionString);
        await connection.OpenAsync();
        await using var count = new NpgsqlCommand("SELECT count(*) FROM jobs.jobs WHERE tenant_id = @t", connection);
        count.Parameters.AddWithValue("t", tenantId);
        Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
        var usage = await client.GetFromJsonAsync<JsonElement>("/v1/usage");
        Assert.Equal(2, usage.GetProperty("day").GetProperty("used").GetInt64());
    }

    [Fact]
    public async Task A_malformed_key_is_a_400()
    {
        var (_, _, key) = await instances.A.CreateTenantAsync("idempotent-bad-key");
        using var client = instances.A.Client(key);

        await ProblemAssert.IsProblemAsync(await DetectAsync(client, Dog, new string('k', 256)), HttpStatusCode.BadRequest, ErrorCodes.IdempotencyKeyInvalid);
    }

    private static Task<HttpResponseMessage> DetectAsync(HttpClient client, byte[] image, string idempotencyKey, string query = "")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect" + query) { Content = DetectorApiFactory.ImageForm(image) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> SubmitJobAsync(HttpClient client, string idempotencyKey)
    {
        var content = new MultipartFormDataContent();
        foreach (var image in new[] { Dog, Horses })
        {
            var part = new ByteArrayContent(image);
            part.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
            content.Add(part, "images", "image.jpg");
        }

        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = content };
        request.Headers.Add("Idempotency-Key", $"\"{idempotencyKey}\"");
        return client.SendAsync(request);
    }
}
