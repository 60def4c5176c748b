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
        await WaitForSlotAsync(request, tenant, cancellationToken);
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

    /// <summary>
    /// A decode slot, in the request's turn; a request whose deadline passes while it waits is
    /// answered 504 there, without decoding for nobody (as the inference queue does).
    /// </summary>
    private async Task WaitForSlotAsync(DetectionRequest request, Guid tenant, CancellationToken cancellationToken)
    {
        if (request.Deadline is not { } deadline)
        {
            await _gate.WaitAsync(request.Priority, tenant, cancellationToken);
            return;
        }

        var left = deadline - DateTimeOffset.UtcNow;
        using var expiry = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        expiry.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        try
        {
            await _gate.WaitAsync(request.Priority, tenant, expiry.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new DomainException(OutcomeKind.DeadlineExceeded, ErrorCodes.DeadlineExceeded, "Deadline exceeded", "The request's deadline passed while it waited to be decoded.");
        }
    }
}
