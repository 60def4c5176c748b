using Detector.Modules.Tenancy.Idempotency;

namespace Detector.Tests.Unit.Tenancy;

public sealed class FinalAnswersTests
{
    [Theory]
    [InlineData(200)]
    [InlineData(201)]
    [InlineData(202)]
    [InlineData(204)]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(413)]
    [InlineData(415)]
    [InlineData(422)]
    public void An_answer_the_same_request_would_get_again_is_remembered(int status) => Assert.True(FinalAnswers.IsFinal(status));

    [Theory]
    [InlineData(429)] // in-flight limit, rate limit, quota: gone once the client waits
    [InlineData(409)] // still running
    [InlineData(403)] // the plan may change
    [InlineData(401)]
    [InlineData(408)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(507)]
    [InlineData(500)]
    [InlineData(302)]
    [InlineData(100)]
    public void An_answer_a_retry_may_get_past_is_not_remembered(int status) => Assert.False(FinalAnswers.IsFinal(status));
}
