using Detector.Modules.Models.Contracts;
using Detector.Modules.Models.Registry;

namespace Detector.Modules.Models.ListModels;

/// <summary>
/// The models with a production version: its version (and whole sha256, precision), family,
/// input size, class count and whether it is the default, as before the registry; and,
/// additively, every version of the model and its aliases.
/// </summary>
internal sealed class ListModelsHandler(IModelCatalog catalog)
{
    public ModelListResponse Handle()
    {
        var snapshot = catalog.Snapshot;
        var items = new List<ModelSummary>(snapshot.Models.Count);
        foreach (var model in snapshot.Models)
        {
            if (model.Production?.Manifest is not { } m)
            {
                continue;
            }

            items.Add(new ModelSummary(m.Name, m.Version, m.Family.ToString().ToLowerInvariant(), m.Preprocess.Width, m.Preprocess.Height, m.Labels.Count, m.Name == catalog.DefaultModel)
            {
                Sha256 = m.Sha256,
                Precision = m.Precision,
                Aliases = model.Aliases,
                Traffic = model.Traffic(),
                Versions = [.. model.Versions.Select(v => ModelVersionView.Of(v, model.Aliases))],
            });
        }

        return new ModelListResponse(items);
    }
}

internal sealed record ModelSummary(string Name, string Version, string Family, int InputWidth, int InputHeight, int Classes, bool IsDefault)
{
    public string Sha256 { get; init; } = "";

    public string Precision { get; init; } = "fp32";

    public IReadOnlyDictionary<string, string> Aliases { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, double> Traffic { get; init; } = new Dictionary<string, double>();

    public IReadOnlyList<ModelVersionView> Versions { get; init; } = [];
}

internal sealed record ModelListResponse(IReadOnlyList<ModelSummary> Models);
