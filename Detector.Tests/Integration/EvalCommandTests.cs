namespace Detector.Tests.Integration;

/// <summary>
/// `Detector.Web eval` as scripts run it (a real process): its line is parsed by the host before
/// any model is loaded, so a wrong line or --help answers at once whatever the models are.
/// </summary>
public sealed class EvalCommandTests
{
    private static readonly string[] Options = ["--model", "--annotations", "--images", "--out", "--min-score", "--iou", "--max-detections", "--scale", "--concurrency"];

    [Fact]
    public async Task Help_lists_every_option_and_exits_zero_without_loading_a_model()
    {
        var (code, output) = await RunAsync("eval", "--help");

        Assert.Equal(0, code);
        Assert.Contains("usage: eval --model M --annotations F --images DIR [options]", output, StringComparison.Ordinal);
        Assert.All(Options, o => Assert.Contains(o, output, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_wrong_line_is_refused_with_the_usage_before_any_model_loads()
    {
        var (code, output) = await RunAsync("eval", "--model", "yolox_nano_416", "--annotations", "/nonexistent.json", "--images", "/tmp", "--iou", "abc");

        Assert.Equal(2, code);
        Assert.Contains("annotations file not found: /nonexistent.json", output, StringComparison.Ordinal);
        Assert.Contains("--iou must be a number in (0, 1], got 'abc'", output, StringComparison.Ordinal);
        Assert.Contains("usage: eval --model", output, StringComparison.Ordinal);
    }

    /// <summary>Runs the command with no model to be found: anything that waits for models fails instead of answering.</summary>
    private static Task<(int Code, string Output)> RunAsync(params string[] args) =>
        WebCommand.RunAsync(args, new Dictionary<string, string> { ["Models__Directory"] = Path.Combine(Path.GetTempPath(), $"no-models-{Guid.NewGuid():N}") }, TimeSpan.FromMinutes(1));
}
