using System.Net;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Unit.Common;

/// <summary>
/// A refusal answered as a <see cref="ProblemResult"/> (not thrown) is still seen as the refusal
/// it is by the audit filter, which records no load shedding: before the result runs, the
/// response still says 200, and a refusal storm would have filled the audit log with false
/// successes.
/// </summary>
public sealed class AuditedProblemResultTests
{
    [Theory]
    [InlineData(503, false)]
    [InlineData(429, false)]
    [InlineData(422, true)]
    public async Task A_problem_answered_without_throwing_is_audited_with_its_own_status_and_shedding_not_at_all(int status, bool recorded)
    {
        var trail = new RecordingTrail();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddSingleton<IAuditTrail>(trail);
        await using var app = builder.Build();
        app.MapPost("/detect", Results<Ok<string>, ProblemResult> () => new DomainException(KindOf(status), "some_code", "Refused") { RetryAfterSeconds = 1 }.ToResult())
            .Audited("result.create");
        app.MapPost("/served", Results<Ok<string>, ProblemResult> () => TypedResults.Ok("done"))
            .Audited("result.create");
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var refused = await client.PostAsync("/detect", null);
        using var served = await client.PostAsync("/served", null);

        Assert.Equal((HttpStatusCode)status, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        var expected = recorded ? new int?[] { status, 200 } : [200];
        Assert.Equal(expected, trail.Events.Select(e => e.Status));
    }

    private static OutcomeKind KindOf(int status) => status switch
    {
        503 => OutcomeKind.Overloaded,
        429 => OutcomeKind.TooManyRequests,
        _ => OutcomeKind.Unprocessable,
    };

    private sealed class RecordingTrail : IAuditTrail
    {
        private readonly List<AuditEvent> _events = [];

        public IReadOnlyList<AuditEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public Task<bool> RecordAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
        {
            lock (_events)
            {
                _events.Add(auditEvent);
            }

            return Task.FromResult(true);
        }
    }
}
