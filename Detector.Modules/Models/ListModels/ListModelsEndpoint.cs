using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Models.ListModels;

/// <summary><c>GET /v1/models</c>: binds nothing, answers the handler's list.</summary>
internal static class ListModelsEndpoint
{
    public static Ok<ModelListResponse> Handle(ListModelsHandler handler) => TypedResults.Ok(handler.Handle());
}
