using System.Net;
using System.Security.Cryptography;
using Detector.Modules.Common;
using Detector.Modules.Inference.Scheduling;
using Detector.Tests.Integration.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace Detector.Tests.Integration.Chaos;

/// <summary>
/// An exception inside a real model run, in the real service over HTTP: only the request in that
/// batch fails (a clean 503 with Retry-After, nothing of it stored), the executor's session is
/// recreated while the other executor serves on, and readiness says so meanwhile.
/// </summary>
public sealed class InferenceFaultTests : IAsyncLifetime
{
    private readonly DetectorApiFactory _factory = new();
    private readonly ChaosFaults _faults = new();

    public async Task InitializeAsync()
    {
        _factory.Overrides["Models:Enabled:0"] = "yolox_nano_416";
        _factory.Overrides["Inference:ExecutorSlots"] = "2";
        _factory.Overrides["Inference:MaxBatchSize"] = "1";
        _factory.TestServices = services => services.AddSingleton<IInferenceFaults>(_faults);
        await _factory.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        _faults.ReleaseRecovery();
        await _factory.DisposeAsync();
    }

    [Fact]
    public async Task A_failed_run_fails_only_its_request_and_its_executor_recovers_while_the_other_serves_and_readiness_says_degraded()
    {
        var (client, _) = await _factory.CreateTenantClientAsync();
        using var anonymous = _factory.CreateAnonymousClient();
        var photo = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[0]);
        _faults.FailNextRun();
        _faults.HoldRecovery();

        using (var failed = await client.PostAsync("/v1/detect", Jpeg(photo)))
        {
            await ProblemAssert.IsProblemAsync(failed, HttpStatusCode.ServiceUnavailable, ErrorCodes.InferenceFailed);
            Assert.NotNull(failed.Headers.RetryAfter);
        }

        // Nothing of the failed request is kept: its image was stored beside the detection and removed.
        using (var gone = await client.DeleteAsync("/v1/images/" + Sha256(photo)))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }

        Assert.True(await _faults.RecoveryReached.WaitAsync(TimeSpan.FromSeconds(10)), "the failed executor was not recovered");
        Assert.Equal("Degraded", await (await anonymous.GetAsync("/health/ready")).Content.ReadAsStringAsync());

        // The other executor serves meanwhile, and this one's image is kept.
        var other = await File.ReadAllBytesAsync(JobsTestKit.CocoFiles[1]);
        using (var served = await client.PostAsync("/v1/detect", Jpeg(other)))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        _faults.ReleaseRecovery();
        await WaitUntilAsync(async () => (await anonymous.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK
            && await (await anonymous.GetAsync("/health/ready")).Content.ReadAsStringAsync() == "Healthy");
        for (var i = 0; i < 4; i++)
        {
            using var again = await client.PostAsync("/v1/detect", Jpeg(photo));
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        using (var kept = await client.DeleteAsync("/v1/images/" + Sha256(other)))
        {
            Assert.Equal(HttpStatusCode.NoContent, kept.StatusCode);
        }

        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Contains("detector_inference_recoveries_total{model=\"yolox_nano_416\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_every_executor_recovering_readiness_is_false_and_true_again_once_one_is_back()
    {
        var (client, _) = await _factory.CreateTenantClientAsync();
        using var anonymous = _factory.CreateAnonymousClient();
        var photos = JobsTestKit.CocoFiles.Take(2).Select(File.ReadAllBytes).ToList();
        _faults.HoldRecovery();

        // Two requests at once so each executor takes one; both runs fail.
        _faults.FailNextRun(2);
        var answers = await Task.WhenAll(photos.Select(p => client.PostAsync("/v1/detect", Jpeg(p))));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.ServiceUnavailable, a.StatusCode));

        await WaitUntilAsync(async () => (await anonymous.GetAsync("/health/ready")).StatusCode == HttpStatusCode.ServiceUnavailable);

        _faults.ReleaseRecovery();
        await WaitUntilAsync(async () => (await anonymous.GetAsync("/health/ready")).StatusCode == HttpStatusCode.OK);
        using var served = await client.PostAsync("/v1/detect", Jpeg(photos[0]));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    private static ByteArrayContent Jpeg(byte[] bytes)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new("image/jpeg");
        return content;
    }

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 15 s");
            await Task.Delay(50);
        }
    }

    /// <summary>Fails the next N model runs; can hold a failed executor inside its recovery.</summary>
    private sealed class ChaosFaults : IInferenceFaults
    {
        private readonly ManualResetEventSlim _recoveryOpen = new(true);
        private int _failures;

        public SemaphoreSlim RecoveryReached { get; } = new(0);

        public void FailNextRun(int runs = 1) => Interlocked.Exchange(ref _failures, runs);

        public void HoldRecovery() => _recoveryOpen.Reset();

        public void ReleaseRecovery() => _recoveryOpen.Set();

        public void BeforeRun(string model, int batchSize)
        {
            int left;
            while ((left = Volatile.Read(ref _failures)) > 0)
            {
                if (Interlocked.CompareExchange(ref _failures, left - 1, left) == left)
                {
                    throw new InvalidOperationException("Injected: the model run failed.");
                }
            }
        }

        public void BeforeRecover(string model)
        {
            RecoveryReached.Release();
            _recoveryOpen.Wait(TimeSpan.FromSeconds(30));
        }
    }
}
