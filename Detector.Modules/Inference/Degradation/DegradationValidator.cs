using Microsoft.Extensions.Options;

namespace Detector.Modules.Inference.Degradation;

/// <summary>
/// Checks the ladder's thresholds at start-up. Stand-in models that this instance does not serve
/// are not an error (an instance may serve one model alone, as <c>eval</c> does): that rung is
/// simply not there, and <see cref="DegradationLadder"/> says so in a warning at start.
/// </summary>
internal sealed class DegradationValidator : IValidateOptions<InferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, InferenceOptions options)
    {
        var ladder = options.Degradation;
        return ladder.Enabled && ladder.FasterModelAt <= ladder.LowerResolutionAt
            ? ValidateOptionsResult.Fail($"Inference:Degradation:FasterModelAt ({ladder.FasterModelAt}) must be above LowerResolutionAt ({ladder.LowerResolutionAt}).")
            : ValidateOptionsResult.Success;
    }
}
