using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Models.ListModels;

/// <summary>The served models, each with its version (and whole sha256, precision), family, input size, class count and whether it is the default.</summary>
internal sealed class ListModelsHandler(IModelCatalog catalog)
{
    public ModelListResponse Handle()
    {
        var items = new List<ModelSummary>(catalog.Models.Count);
        foreach (var m in catalog.Models)
        {
            items.Add(new ModelSummary(m.Name, m.Version, m.Family.ToString().ToLowerInvariant(), m.Preprocess.Width, m.Preprocess.Height, m.Labels.Count, m.Name == catalog.DefaultModel)
            {
                Sha256 = m.Sha256,
                Precision = m.Precision,
            });
        }

        return new ModelListResponse(items);
    }
}

internal sealed record ModelSummary(string Name, string Version, string Family, int InputWidth, int InputHeight, int Classes, bool IsDefault)
{
    public string Sha256 { get; init; } = "";

    public string Precision { get; init; } = "fp32";
}

internal sealed record ModelListResponse(IReadOnlyList<ModelSummary> Models);
