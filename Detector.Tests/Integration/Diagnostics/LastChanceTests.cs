using System.Net;
using Detector.Tests.Integration.Jobs;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Diagnostics;

/// <summary>
/// A real service process whose background thread throws, or whose faulted task nobody awaits
/// (thrown by <see cref="StartupHook"/>, loaded as a startup hook): the exception is logged with
/// its stack and counted before the process goes down, or while it lives on.
/// </summary>
[Collection("Jobs")]
public sealed class LastChanceTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly CrashHarness _harness = new(output);
    private readonly string _trigger = Path.Combine(Path.GetTempPath(), "detector-crash-hook-" + Guid.NewGuid().ToString("N"));

    public Task InitializeAsync() => _harness.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        File.Delete(_trigger);
        await _harness.DisposeAsync();
    }

    [Fact]
    public async Task An_exception_thrown_on_a_background_thread_is_logged_with_its_stack_and_counted_before_the_process_dies()
    {
        var service = await StartWithHookAsync("thread");
        await File.WriteAllTextAsync(_trigger, "now");

        var exit = await service.WaitForExitAsync(TimeSpan.FromSeconds(30));
        Assert.NotNull(exit);
        Assert.NotEqual(0, exit);
        var log = service.LogTail(100_000);
        var line = log.Split('\n').FirstOrDefault(l => l.Contains("Unhandled exception on thread", StringComparison.Ordinal));
        Assert.True(line is not null, "the critical line was logged:\n" + service.LogTail());
        Assert.Contains("\"@l\":\"Fatal\"", line, StringComparison.Ordinal);
        Assert.Contains("\"Thread\":\"crash-hook\"", line, StringComparison.Ordinal);
        Assert.Contains(StartupHook.Marker, line, StringComparison.Ordinal);
        Assert.Contains("ThrowOnBackgroundThread", line, StringComparison.Ordinal); // its stack
    }

    [Fact]
    public async Task A_faulted_task_nobody_awaited_is_logged_and_counted_and_the_service_keeps_serving()
    {
        var service = await StartWithHookAsync("unobserved");
        using var client = new HttpClient { BaseAddress = service.BaseUri };
        Assert.Equal(0, await UnobservedCountAsync(client));

        await File.WriteAllTextAsync(_trigger, "now");
        await service.WaitForLogAsync("A faulted task was never awaited", TimeSpan.FromSeconds(30));
        var line = service.LogTail(100_000).Split('\n').First(l => l.Contains("A faulted task was never awaited", StringComparison.Ordinal));
        Assert.Contains(StartupHook.Marker, line, StringComparison.Ordinal);
        Assert.Equal(1, await UnobservedCountAsync(client));

        Assert.False(service.HasExited);
        using var live = await client.GetAsync("/health/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    private async Task<ServiceProcess> StartWithHookAsync(string kind) =>
        await _harness.StartAsync("last-chance-" + kind, extra: new Dictionary<string, string>
        {
            ["DOTNET_STARTUP_HOOKS"] = typeof(StartupHook).Assembly.Location,
            [StartupHook.KindVariable] = kind,
            [StartupHook.TriggerVariable] = _trigger,
            ["Models__Enabled__0"] = "yolox_nano_416",
            // The crash is deliberate: no dump of it under the test run's blame collector (which
            // turns dumps on for the test host, and so for every process it starts).
            ["DOTNET_DbgEnableMiniDump"] = "0",
            ["COMPlus_DbgEnableMiniDump"] = "0",
        });

    private static async Task<int> UnobservedCountAsync(HttpClient client)
    {
        var metrics = await client.GetStringAsync("/metrics");
        var line = metrics.Split('\n').FirstOrDefault(l => l.StartsWith("detector_unhandled_exceptions_total{kind=\"unobserved_task\"}", StringComparison.Ordinal));
        return line is null ? 0 : (int)double.Parse(line.Split(' ')[^1], System.Globalization.CultureInfo.InvariantCulture);
    }
}
