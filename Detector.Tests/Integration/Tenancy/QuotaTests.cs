using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Detector.Modules.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Detector.Tests.Integration.Tenancy;

/// <summary>An instance whose clock the test moves.</summary>
public sealed class FakeClockHost : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// The first instant of a month after the clock's, so every test moves the clock only forward
    /// (a fake clock cannot go back), whatever order the tests run in.
    /// </summary>
    public DateTimeOffset NextMonth()
    {
        var now = Clock.GetUtcNow();
        return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
    }

    public TenancyHost Host { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Host = new TenancyHost(services: s => s.AddSingleton<TimeProvider>(Clock));
        Host.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>Daily and monthly image quotas over HTTP, at the day and month boundaries of a moved clock.</summary>
public sealed class QuotaTests(FakeClockHost fixture) : IClassFixture<FakeClockHost>
{
    private static readonly byte[] Image = File.ReadAllBytes(Path.Combine(TestPaths.Samples, "dog.jpg"));

    [Fact]
    public async Task Quotas_are_exhausted_and_reset_at_the_day_and_month_boundaries_of_the_service_clock()
    {
        // The last-but-one day of a month, an hour before midnight.
        var month = fixture.NextMonth();
        var nextMonth = month.AddMonths(1);
        var lastDay = nextMonth.AddDays(-1);
        fixture.Clock.SetUtcNow(lastDay.AddHours(-1));
        var (_, _, key) = await fixture.Host.CreateTenantAsync("quota", new { daily_images = 3, monthly_images = 5 });
        using var client = fixture.Host.Client(key);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await DetectAsync(client)).StatusCode);
        }

        using (var refused = await DetectAsync(client))
        {
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.QuotaExceeded);
            Assert.Equal("day", problem.GetProperty("period").GetString());
            Assert.Equal(lastDay, problem.GetProperty("reset_at").GetDateTimeOffset());
            Assert.Equal(TimeSpan.FromHours(1), refused.Headers.RetryAfter!.Delta);
        }

        await AssertUsageAsync(client, dayUsed: 3, monthUsed: 3);

        // Next day: the daily count starts over, the monthly one runs on to its limit.
        fixture.Clock.SetUtcNow(lastDay.AddSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await DetectAsync(client)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await DetectAsync(client)).StatusCode);
        using (var refused = await DetectAsync(client))
        {
            var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.TooManyRequests, ErrorCodes.QuotaExceeded);
            Assert.Equal("month", problem.GetProperty("period").GetString());
            Assert.Equal(nextMonth, problem.GetProperty("reset_at").GetDateTimeOffset());
        }

        await AssertUsageAsync(client, dayUsed: 2, monthUsed: 5);

        // Next month: both start over.
        fixture.Clock.SetUtcNow(nextMonth.AddSeconds(1));
        Assert.Equal(HttpStatusCode.OK, (await DetectAsync(client)).StatusCode);
        await AssertUsageAsync(client, dayUsed: 1, monthUsed: 1);
    }

    [Fact]
    public async Task A_job_counts_each_image_once_at_submission_and_is_refused_whole_past_the_quota()
    {
        fixture.Clock.SetUtcNow(fixture.NextMonth().AddDays(9).AddHours(12));
        var (_, _, key) = await fixture.Host.CreateTenantAsync("job-quota", new { daily_images = 4 });
        using var client = fixture.Host.Client(key);

        Assert.Equal(HttpStatusCode.Accepted, (await SubmitJobAsync(client, 3)).StatusCode);
        await AssertUsageAsync(client, dayUsed: 3, monthUsed: 3);

        await ProblemAssert.IsProblemAsync(await SubmitJobAsync(client, 2), HttpStatusCode.TooManyRequests, ErrorCodes.QuotaExceeded);
        await AssertUsageAsync(client, dayUsed: 3, monthUsed: 3);
    }

    [Fact]
    public async Task A_refused_image_is_not_counted()
    {
        fixture.Clock.SetUtcNow(fixture.NextMonth().AddDays(1).AddHours(8));
        var (_, _, key) = await fixture.Host.CreateTenantAsync("refused-not-counted");
        using var client = fixture.Host.Client(key);
        using var corrupt = new ByteArrayContent([0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2, 3]);
        corrupt.Headers.ContentType = new("image/jpeg");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await client.PostAsync("/v1/detect", corrupt)).StatusCode);
        await AssertUsageAsync(client, dayUsed: 0, monthUsed: 0);
    }

    private static Task<HttpResponseMessage> DetectAsync(HttpClient client)
    {
        var content = new ByteArrayContent(Image);
        content.Headers.ContentType = new("image/jpeg");
        return client.PostAsync("/v1/detect", content);
    }

    private static Task<HttpResponseMessage> SubmitJobAsync(HttpClient client, int images) =>
        client.PostAsync("/v1/jobs", Jobs.JobsTestKit.Images(Enumerable.Range(0, images).Select(i => ($"{i}.jpg", Image))));

    private static async Task AssertUsageAsync(HttpClient client, long dayUsed, long monthUsed)
    {
        var usage = await client.GetFromJsonAsync<JsonElement>("/v1/usage");
        Assert.Equal(dayUsed, usage.GetProperty("day").GetProperty("used").GetInt64());
        Assert.Equal(monthUsed, usage.GetProperty("month").GetProperty("used").GetInt64());
    }
}
