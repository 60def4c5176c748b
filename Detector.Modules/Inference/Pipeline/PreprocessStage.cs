using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Preprocessing.Contracts;

namespace Detector.Modules.Inference.Pipeline;

/// <summary>
/// Decoding a request's image into its model's input tensor, on a bounded number of decode slots
/// (<see cref="InferenceOptions.PreprocessWorkers"/>, default one per two cores) that interactive
/// requests get before background ones (<see cref="PriorityGate"/>).
/// </summary>
internal sealed class PreprocessStage
{
    private readonly IImagePreprocessor _preprocessor;
    private readonly PriorityGate _gate;

    public PreprocessStage(IImagePreprocessor preprocessor, InferenceOptions options)
    {
        _preprocessor = preprocessor;
        var workers = options.PreprocessWorkers > 0 ? options.PreprocessWorkers : Math.Max(1, Environment.ProcessorCount / 2);
        _gate = new PriorityGate(workers);
    }

    /// <summary>
    /// Waits for a decode slot, then decodes into an input tensor rented from the model's pool. The
    /// caller owns the returned tensor (and gives it back); on a failure it is given back here.
    /// </summary>
    public async Task<(PreprocessedImage Image, float[] Input)> RunAsync(DetectionRequest request, LoadedModel model, Guid tenant, CancellationToken cancellationToken)
    {
        var scheduler = model.Scheduler;
        float[]? input = null;
        PreprocessedImage image;
        await _gate.WaitAsync(request.Priority, tenant, request.Deadline, cancellationToken);
        try
        {
            // Rented only once decoding can start, so requests waiting for a decode slot hold no tensor.
            input = scheduler.RentInput();
            using var span = DetectorTelemetry.Source.StartActivity("preprocess");
            image = _preprocessor.Preprocess(request.Image, model.Manifest.Preprocess, input.AsSpan(0, scheduler.InputLength));
        }
        catch
        {
            if (input is not null)
            {
                scheduler.Return(input);
            }

            throw;
        }
        finally
        {
            _gate.Release();
        }

        model.Metrics.Decode.Observe(image.DecodeMs / 1000.0);
        return (image, input);
    }
}
