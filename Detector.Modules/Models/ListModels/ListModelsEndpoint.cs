using Detector.Modules.Models.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.ListModels;

internal static class ListModelsEndpoint
{
    public static Ok<ModelListResponse> Handle(IModelCatalog catalog)
    {
        var items = new List<ModelSummary>(catalog.Models.Count);
        foreach (var m in catalog.Models)
        {
            items.Add(new ModelSummary(m.Name, m.Version, m.Family.ToString().ToLowerInvariant(), m.Preprocess.Width, m.Preprocess.Height, m.Labels.Count, m.Name == catalog.DefaultModel));
        }

        return TypedResults.Ok(new ModelListResponse(items));
    }
}

internal sealed record ModelSummary(string Name, string Version, string Family, int InputWidth, int InputHeight, int Classes, bool IsDefault);

internal sealed record ModelListResponse(IReadOnlyList<ModelSummary> Models);
