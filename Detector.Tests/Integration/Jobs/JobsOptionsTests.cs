using System.Diagnostics;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Jobs.Processing;
using Detector.Modules.Jobs.Webhooks;
using Hangfire;
using Hangfire.Common;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Detector.Tests.Integration.Jobs;

/// <summary>No Hangfire server, models that never get ready, and the workers' retries and readiness wait set in Jobs options.</summary>
public sealed class SlowStartJobsFactory : JobsApiFactory
{
    protected override IEnumerable<KeyValuePair<string, string?>> ExtraSettings() =>
    [
        new("Jobs:Hangfire:RunServer", "false"),
        new("Jobs:SweepIntervalSeconds", "3600"),
        new("Jobs:ReadinessWaitSeconds", "1"),
        new("Jobs:ChunkRetryAttempts", "2"),
        new("Jobs:ChunkRetryDelaysSeconds:0", "7"),
        new("Jobs:ChunkRetryDelaysSeconds:1", "11"),
        new("Jobs:WebhookJobRetryAttempts", "3"),
        new("Jobs:WebhookJobRetryDelaysSeconds:0", "13"),
    ];

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.RemoveAll<IInferenceReadiness>();
        services.AddSingleton<IInferenceReadiness>(new NeverReady());
    }

    private sealed class NeverReady : IInferenceReadiness
    {
        private readonly TaskCompletionSource _never = new();

        public bool IsReady => false;

        public string Provider => "CPU";

        public Task WhenReady => _never.Task;

        public IReadOnlyList<ExecutorHealth> Executors => [];
    }
}

/// <summary>The workers' operational numbers are options (Jobs section), not constants in the code.</summary>
[Collection("Jobs")]
public sealed class JobsOptionsTests(SlowStartJobsFactory factory) : IClassFixture<SlowStartJobsFactory>
{
    [Fact]
    public async Task A_chunk_waits_for_the_models_no_longer_than_the_configured_readiness_wait()
    {
        var (tenantId, jobId) = await factory.CreateUndispatchedJobAsync(1);
        var worker = factory.Services.GetRequiredService<JobWorker>();
        var stopwatch = Stopwatch.StartNew();

        // Bounded here at 30 s whatever the setting; the worker must give up after its 1 s.
        await Assert.ThrowsAsync<TimeoutException>(() => worker.ProcessAsync(tenantId, jobId, 0, 0, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(15), $"gave up after {stopwatch.Elapsed.TotalSeconds:F1} s");
        Assert.Equal(0, await factory.CountAsync("SELECT attempts FROM jobs.items WHERE job_id = @jobId", jobId)); // nothing claimed
    }

    [Fact]
    public void Hangfire_retries_chunks_and_webhook_deliveries_as_often_and_as_late_as_the_jobs_options_say()
    {
        var filters = factory.Services.GetRequiredService<IJobFilterProvider>();

        var chunk = RetryOf(filters, Job.FromExpression<JobWorker>(w => w.ProcessAsync(Guid.Empty, Guid.Empty, 0, 0, CancellationToken.None)));
        var webhook = RetryOf(filters, Job.FromExpression<WebhookSender>(w => w.DeliverAsync(Guid.Empty, CancellationToken.None)));

        Assert.Equal(2, chunk.Attempts);
        Assert.Equal([7, 11], chunk.DelaysInSeconds);
        Assert.Equal(3, webhook.Attempts);
        Assert.Equal([13], webhook.DelaysInSeconds);
    }

    private static AutomaticRetryAttribute RetryOf(IJobFilterProvider filters, Job job) =>
        Assert.Single(filters.GetFilters(job).Select(f => f.Instance).OfType<AutomaticRetryAttribute>());
}
