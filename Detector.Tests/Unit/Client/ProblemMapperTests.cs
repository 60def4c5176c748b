using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Detector.Client;

namespace Detector.Tests.Unit.Client;

public sealed class ProblemMapperTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("2", 2.0)]
    [InlineData("0", 0.0)]
    [InlineData("120", 120.0)]
    [InlineData("Mon, 07 Dec 2026 12:00:30 GMT", 30.0)]
    [InlineData("Mon, 07 Dec 2026 11:59:00 GMT", 0.0)] // a date already past: retry now, never a negative wait
    public void Retry_After_is_read_as_seconds_or_as_a_date_from_now(string header, double seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), ProblemMapper.RetryAfterDelay(header, Now));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5")]
    public void A_missing_or_unreadable_Retry_After_is_no_wait_at_all(string? header) =>
        Assert.Null(ProblemMapper.RetryAfterDelay(header, Now));

    [Fact]
    public void A_problem_body_gives_its_code_detail_trace_and_extensions()
    {
        const string body = """{"type":"https://detector.dev/problems/quota-exceeded","title":"Quota exceeded","status":429,"detail":"The daily quota is used up.","code":"quota_exceeded","period":"day","reset_at":"2026-12-08T00:00:00+00:00","trace_id":"abc123"}""";
        var problem = ProblemMapper.Read(HttpStatusCode.TooManyRequests, body, new RetryConditionHeaderValue(TimeSpan.FromSeconds(3600)), Now);

        Assert.Equal("quota_exceeded", problem.Code);
        Assert.Equal("The daily quota is used up.", problem.Detail);
        Assert.Equal("abc123", problem.TraceId);
        Assert.Equal(TimeSpan.FromHours(1), problem.RetryAfter);
        Assert.Equal("day", problem.Extensions["period"]);
        var quota = Assert.IsType<QuotaExceededException>(ProblemMapper.ToException(problem));
        Assert.Equal(new DateTimeOffset(2026, 12, 8, 0, 0, 0, TimeSpan.Zero), quota.ResetAt);
        Assert.Contains("429 quota_exceeded", quota.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(429, "rate_limited", typeof(RateLimitedException))]
    [InlineData(429, "concurrency_limited", typeof(RateLimitedException))]
    [InlineData(429, "quota_exceeded", typeof(QuotaExceededException))]
    [InlineData(503, "overloaded", typeof(OverloadedException))]
    [InlineData(503, "database_unavailable", typeof(ServiceUnavailableException))]
    [InlineData(503, "model_not_ready", typeof(ServiceUnavailableException))]
    [InlineData(404, "not_found", typeof(NotFoundException))]
    [InlineData(404, "job_not_found", typeof(NotFoundException))]
    [InlineData(400, "validation_failed", typeof(ValidationFailedException))]
    [InlineData(400, "invalid_cursor", typeof(ValidationFailedException))]
    [InlineData(422, "corrupt_image", typeof(InvalidImageException))]
    [InlineData(415, "unsupported_image_format", typeof(InvalidImageException))]
    [InlineData(413, "payload_too_large", typeof(InvalidImageException))]
    [InlineData(401, "unauthorized", typeof(AuthorizationException))]
    [InlineData(403, "tenant_disabled", typeof(AuthorizationException))]
    [InlineData(409, "job_not_finished", typeof(DetectorProblemException))]
    public void Each_code_callers_branch_on_has_its_exception_type(int status, string code, Type expected)
    {
        var body = $$"""{"status":{{status}},"title":"t","code":"{{code}}"}""";
        var exception = ProblemMapper.ToException(ProblemMapper.Read((HttpStatusCode)status, body, null, Now));
        Assert.IsType(expected, exception);
        Assert.Equal(code, exception.Code);
        Assert.Equal((HttpStatusCode)status, exception.Status);
    }

    [Theory]
    [InlineData("<html><body>502 Bad Gateway</body></html>")]
    [InlineData("")]
    [InlineData("{\"error\":\"no code here\"}")]
    public void A_body_that_is_not_a_problem_of_the_service_still_gives_a_problem_named_after_its_status(string body)
    {
        var problem = ProblemMapper.Read(HttpStatusCode.BadGateway, body, new RetryConditionHeaderValue(DateTimeOffset.Parse("Mon, 07 Dec 2026 12:00:05 GMT", CultureInfo.InvariantCulture)), Now);
        Assert.Equal("http_502", problem.Code);
        Assert.Equal(TimeSpan.FromSeconds(5), problem.RetryAfter);
        Assert.IsType<DetectorProblemException>(ProblemMapper.ToException(problem));
    }
}
