using Detector.Modules.Common;
using Detector.Modules.Training.Runs;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Training.GetTrainingRun;

/// <summary>GET /v1/admin/training-runs/{id}: the run as recorded, with its canonical record and hash.</summary>
internal static class GetTrainingRunEndpoint
{
    public static async Task<Ok<TrainingRunView>> Handle(Guid id, TrainingRunStore store, CancellationToken ct)
    {
        var row = await store.GetAsync(id, ct)
            ?? throw new DomainException(OutcomeKind.NotFound, ErrorCodes.TrainingRunNotFound, "Training run not found", $"No training run {id}.");
        return TypedResults.Ok(TrainingRunView.Of(row));
    }
}
