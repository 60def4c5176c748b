using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Inference.Degradation;

/// <summary>
/// Checks the ladder at start-up: thresholds in order, and every model it names served here, so
/// a typo fails the start instead of silently never degrading.
/// </summary>
internal sealed class DegradationValidator(IModelCatalog catalog) : IValidateOptions<InferenceOptions>
{
    public ValidateOptionsResult Validate(string? name, InferenceOptions options)
    {
        var ladder = options.Degradation;
        if (!ladder.Enabled)
        {
            return ValidateOptionsResult.Success;
        }

        var failures = new List<string>();
        if (ladder.FasterModelAt <= ladder.LowerResolutionAt)
        {
            failures.Add($"Inference:Degradation:FasterModelAt ({ladder.FasterModelAt}) must be above LowerResolutionAt ({ladder.LowerResolutionAt}).");
        }

        foreach (var (model, steps) in ladder.Models)
        {
            // A ladder for a model this instance does not serve is harmless (other instances may).
            if (catalog.Find(model) is null)
            {
                continue;
            }

            foreach (var (rung, standIn) in new[] { ("LowerResolution", steps.LowerResolution), ("FasterModel", steps.FasterModel) })
            {
                if (standIn is not null && catalog.Find(standIn) is null)
                {
                    failures.Add($"Inference:Degradation:Models:{model}:{rung} names '{standIn}', which is not served here (Models:Enabled).");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
