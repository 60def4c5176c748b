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
        return ladder.Enabled && !(ladder.CompressedAt < ladder.LowerResolutionAt && ladder.LowerResolutionAt < ladder.FasterModelAt)
            ? ValidateOptionsResult.Fail($"Inference:Degradation thresholds must rise rung by rung: CompressedAt ({ladder.CompressedAt}) < LowerResolutionAt ({ladder.LowerResolutionAt}) < FasterModelAt ({ladder.FasterModelAt}).")
            : ValidateOptionsResult.Success;
    }
}
