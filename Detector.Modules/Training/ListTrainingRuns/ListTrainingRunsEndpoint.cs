using Detector.Modules.Training.Runs;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Training.ListTrainingRuns;

internal sealed record TrainingRunList(IReadOnlyList<TrainingRunView> Runs);

/// <summary>GET /v1/admin/training-runs?model=&amp;version=: the latest runs (Training:MaxListed), newest first, of a model or one of its versions when named.</summary>
internal static class ListTrainingRunsEndpoint
{
    public static async Task<Ok<TrainingRunList>> Handle(string? model, string? version, TrainingRunStore store, IOptions<TrainingOptions> options, CancellationToken ct) =>
        TypedResults.Ok(new TrainingRunList([.. (await store.ListAsync(model, version, options.Value.MaxListed, ct)).Select(TrainingRunView.Of)]));
}
