using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Detector.Client;

namespace Detector.Tests.Unit.Client;

/// <summary>The retry loop through the whole client, over an in-memory handler that answers as scripted.</summary>
public sealed class RetryLoopRunTests
{
    private const string Accepted = """{"id":"0193a5d0-0000-7000-8000-000000000001","status":"queued","status_url":"/v1/jobs/x","results_url":"/v1/jobs/x/results"}""";

    [Fact]
    public async Task A_dropped_connection_is_retried_and_every_attempt_carries_the_calls_one_Idempotency_Key()
    {
        var handler = new Scripted(n => n == 1 ? throw new HttpRequestException("connection reset") : Answer(HttpStatusCode.Accepted, Accepted));
        var client = Client(handler, new DetectorClientOptions { BaseDelay = TimeSpan.FromMilliseconds(5) });

        var job = await client.SubmitJobAsync([new Uri("https://images.example.com/a.jpg")]);

        Assert.Equal("queued", job.Status);
        Assert.Equal(2, handler.Keys.Count);
        Assert.Single(handler.Keys.Distinct());
        Assert.Matches("^[0-9a-f]{32}$", handler.Keys[0]);
    }

    [Fact]
    public async Task A_quota_refusal_is_thrown_at_once_and_never_retried()
    {
        var handler = new Scripted(_ => Problem(HttpStatusCode.TooManyRequests, "quota_exceeded", "3600"));
        var client = Client(handler, new DetectorClientOptions { Deadline = TimeSpan.FromDays(1) });

        var refused = await Assert.ThrowsAsync<QuotaExceededException>(() => client.GetJobAsync(Guid.NewGuid()));
        Assert.Equal(TimeSpan.FromHours(1), refused.RetryAfter);
        Assert.Equal(1, handler.Calls);
    }

    [Fact]
    public async Task Backoff_without_Retry_After_stops_at_MaxAttempts_with_the_last_refusal()
    {
        var handler = new Scripted(_ => Problem(HttpStatusCode.ServiceUnavailable, "overloaded", null));
        var client = Client(handler, new DetectorClientOptions { MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(5) });

        var refused = await Assert.ThrowsAsync<OverloadedException>(() => client.GetJobAsync(Guid.NewGuid()));
        Assert.Null(refused.RetryAfter);
        Assert.Equal(3, handler.Calls);
    }

    [Fact]
    public async Task Cancelling_the_call_ends_its_wait_at_once()
    {
        var handler = new Scripted(_ => Problem(HttpStatusCode.ServiceUnavailable, "database_unavailable", "20"));
        var client = Client(handler, new DetectorClientOptions { Deadline = TimeSpan.FromMinutes(1) });
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetJobAsync(Guid.NewGuid(), cancel.Token));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"not the 20 s Retry-After ({clock.Elapsed})");
        Assert.Equal(1, handler.Calls);
    }

    private static DetectorClient Client(Scripted handler, DetectorClientOptions options) =>
        new(new HttpClient(handler) { BaseAddress = new Uri("http://detector.test") }, options);

    private static HttpResponseMessage Answer(HttpStatusCode status, string json) =>
        new(status) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    private static HttpResponseMessage Problem(HttpStatusCode status, string code, string? retryAfter)
    {
        var answer = new HttpResponseMessage(status)
        {
            Content = new StringContent($$"""{"status":{{(int)status}},"title":"refused","code":"{{code}}"}""", Encoding.UTF8, "application/problem+json"),
        };
        if (retryAfter is not null)
        {
            answer.Headers.RetryAfter = RetryConditionHeaderValue.Parse(retryAfter);
        }

        return answer;
    }

    /// <summary>Answers the n-th request (from 1) as told, and records each request's Idempotency-Key.</summary>
    private sealed class Scripted(Func<int, HttpResponseMessage> answer) : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        public List<string> Keys { get; } = [];

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            lock (Keys)
            {
                if (request.Headers.TryGetValues("Idempotency-Key", out var keys))
                {
                    Keys.Add(keys.Single());
                }
            }

            var response = answer(Interlocked.Increment(ref _calls));
            response.RequestMessage = request; // as every real handler does
            return Task.FromResult(response);
        }
    }
}
