using Detector.Modules.Common;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Labeling;

/// <summary>Labels are class names of the model version that served the result (a version the registry no longer has cannot be checked, and is not).</summary>
internal static class ModelLabels
{
    public static void Require(IModelCatalog catalog, string model, string version, string label)
    {
        if (catalog.Find($"{model}{ModelSelector.Separator}{version}") is { } manifest && !manifest.Labels.Contains(label, StringComparer.Ordinal))
        {
            throw new DomainException(OutcomeKind.InvalidInput, LabelingErrors.UnknownLabel, "Unknown label", $"'{label}' is not a class of {model}@{version}.");
        }
    }
}
