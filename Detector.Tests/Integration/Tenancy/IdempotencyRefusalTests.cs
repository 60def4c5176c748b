using System.Net;
using Detector.Modules.Common;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>
/// Only final answers are remembered under an Idempotency-Key: a refusal that a retry can get
/// past (429 while the tenant's requests in flight are at its plan's limit) frees the key.
/// </summary>
[Collection(TwoInstancesCollection.Name)]
public sealed class IdempotencyRefusalTests(TwoInstances instances)
{
    private static readonly byte[] Dog = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

    [Fact]
    public async Task A_429_for_too_many_requests_in_flight_is_not_replayed_and_the_same_key_succeeds_a_second_later()
    {
        var (_, _, key) = await instances.A.CreateTenantAsync("idempotent-in-flight", new { max_in_flight = 1 });

        // The first request takes the tenant's one place, then holds it: its body is sent only
        // once the service reads it (Expect: 100-continue), and then only when the test says so.
        using var held = new HeldUpload(DetectorApiFactory.ImageForm(Dog));
        using var slowClient = new HttpClient(new SocketsHttpHandler { Expect100ContinueTimeout = TimeSpan.FromMinutes(2) })
        {
            BaseAddress = instances.A.BaseAddress,
            Timeout = TimeSpan.FromMinutes(2),
        };
        slowClient.DefaultRequestHeaders.Add("X-Api-Key", key);
        using var firstRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = held };
        firstRequest.Headers.ExpectContinue = true;
        var first = slowClient.SendAsync(firstRequest);
        await held.Requested.Task.WaitAsync(TimeSpan.FromSeconds(60)); // admitted: the service is reading its body

        using var client = instances.A.Client(key);
        using (var refused = await DetectAsync(client, "in-flight-key"))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.ConcurrencyLimited);
            Assert.False(refused.Headers.Contains("Idempotent-Replayed"));
        }

        held.Release.SetResult();
        using (var done = await first.WaitAsync(TimeSpan.FromSeconds(60)))
        {
            Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        }

        await Task.Delay(TimeSpan.FromSeconds(1)); // the client honours Retry-After: 1
        using var again = await DetectAsync(client, "in-flight-key");
        Assert.True(again.StatusCode == HttpStatusCode.OK, $"{(int)again.StatusCode}: {await again.Content.ReadAsStringAsync()}");
        Assert.False(again.Headers.Contains("Idempotent-Replayed"));

        // And the 200 is what the key now remembers.
        using var replay = await DetectAsync(client, "in-flight-key");
        Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
        Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
        Assert.Equal(await again.Content.ReadAsByteArrayAsync(), await replay.Content.ReadAsByteArrayAsync());
    }

    private static Task<HttpResponseMessage> DetectAsync(HttpClient client, string idempotencyKey)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/detect") { Content = DetectorApiFactory.ImageForm(Dog) };
        request.Headers.Add("Idempotency-Key", idempotencyKey);
        return client.SendAsync(request);
    }

    /// <summary>A body that says when it is asked for, and is sent only once released.</summary>
    private sealed class HeldUpload : HttpContent
    {
        private readonly HttpContent _inner;

        public HeldUpload(HttpContent inner)
        {
            _inner = inner;
            Headers.ContentType = inner.Headers.ContentType;
        }

        public TaskCompletionSource Requested { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override async Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context)
        {
            Requested.TrySetResult();
            await Release.Task.WaitAsync(TimeSpan.FromMinutes(2));
            await _inner.CopyToAsync(stream);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
