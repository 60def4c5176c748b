using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Degradation;
using Detector.Modules.Inference.Postprocessing;
using Detector.Modules.Inference.Scheduling;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Inference;

/// <summary>The single detection pipeline behind the API, async jobs and evaluation.</summary>
internal sealed class ObjectDetector : IObjectDetector, IDisposable
{
    private readonly IModelCatalog _catalog;
    private readonly IImagePreprocessor _preprocessor;
    private readonly InferenceHost _host;
    private readonly DegradationLadder _ladder;
    private readonly InferenceOptions _options;
    private readonly PriorityGate _preprocessGate;
    private readonly SemaphoreSlim _backgroundSlots;

    public ObjectDetector(IModelCatalog catalog, IImagePreprocessor preprocessor, InferenceHost host, DegradationLadder ladder, IOptions<InferenceOptions> options)
    {
        _catalog = catalog;
        _preprocessor = preprocessor;
        _host = host;
        _ladder = ladder;
        _options = options.Value;
        var workers = _options.PreprocessWorkers > 0 ? _options.PreprocessWorkers : Math.Max(1, Environment.ProcessorCount / 2);
        _preprocessGate = new PriorityGate(workers);
        var background = _options.BackgroundInFlight > 0 ? _options.BackgroundInFlight : 2 * Environment.ProcessorCount;
        _backgroundSlots = new SemaphoreSlim(background, background);
    }

    public async Task<DetectionOutcome> DetectAsync(DetectionRequest request, CancellationToken cancellationToken)
    {
        if (request.Priority != DetectionPriority.Background)
        {
            return await DetectCoreAsync(request, cancellationToken);
        }

        // Background work waits its turn here, before it is decoded: a job only keeps the pipeline
        // fed instead of decoding hundreds of images ahead, whose CPU interactive requests need.
        await _backgroundSlots.WaitAsync(cancellationToken);
        try
        {
            return await DetectCoreAsync(request, cancellationToken);
        }
        finally
        {
            _backgroundSlots.Release();
        }
    }

    private async Task<DetectionOutcome> DetectCoreAsync(DetectionRequest request, CancellationToken cancellationToken)
    {
        var name = request.Model ?? _catalog.DefaultModel;
        var requested = _catalog.Find(name)
            ?? throw new ProblemException(400, ErrorCodes.UnknownModel, "Unknown model", $"Model '{name}' is not served. GET /v1/models lists the served models.");

        // A sync request may be served by a cheaper model under backlog (the ladder); the place
        // reserved before its body was read already says which.
        var reserved = request.Ticket is { } t && t.RequestedModel == requested.Name ? t : null;
        var (servedName, rung) = reserved is not null
            ? (reserved.Model, reserved.Rung)
            : request.Priority == DetectionPriority.Interactive && request.AllowDegradation ? _ladder.Choose(requested.Name) : (requested.Name, null);
        var manifest = servedName == requested.Name ? requested : _catalog.Find(servedName)!;
        if (!_host.TryGet(manifest.Name, out var model))
        {
            throw new ProblemException(503, ErrorCodes.ModelNotReady, "Model not ready", $"Model '{name}' is still loading.") { RetryAfterSeconds = 5 };
        }

        using var activity = DetectorTelemetry.Source.StartActivity("detect");
        activity?.SetTag("detector.model", manifest.Name);
        activity?.SetTag("detector.model_version", manifest.Version);
        var started = Stopwatch.GetTimestamp();
        var scheduler = model.Scheduler;
        var tenant = request.TenantId ?? Guid.Empty;
        // A place reserved before the upload was read is used as it is (its owner gives it back):
        // no second judgement after the body.
        using var owned = reserved is not null
            ? null
            : AdmitOrThrow(model, manifest.Name, request.Priority, tenant, request.MaxInFlight, request.Deadline);

        float[]? input = null;
        try
        {
            PreprocessedImage pre;
            await _preprocessGate.WaitAsync(request.Priority, tenant, cancellationToken);
            try
            {
                // Rented only once decoding can start, so requests waiting for a decode slot hold no tensor.
                input = scheduler.RentInput();
                using var span = DetectorTelemetry.Source.StartActivity("preprocess");
                pre = _preprocessor.Preprocess(request.Image, manifest.Preprocess, input.AsSpan(0, scheduler.InputLength));
            }
            finally
            {
                _preprocessGate.Release();
            }

            model.Metrics.Decode.Observe(pre.DecodeMs / 1000.0);
            var deadline = request.Deadline ?? DateTimeOffset.UtcNow.AddMilliseconds(_options.DefaultDeadlineMs);
            var remaining = deadline - DateTimeOffset.UtcNow;
            var deadlineTimestamp = remaining <= TimeSpan.Zero
                ? Stopwatch.GetTimestamp()
                : Stopwatch.GetTimestamp() + (long)Math.Min(remaining.TotalSeconds * Stopwatch.Frequency, long.MaxValue / 4);
            var item = new WorkItem(input, request.Priority, deadlineTimestamp, tenant);

            BatchInfo info;
            using (DetectorTelemetry.Source.StartActivity("inference"))
            {
                info = await scheduler.EnqueueAsync(item, cancellationToken);
            }

            var postStart = Stopwatch.GetTimestamp();
            Detection[] detections;
            try
            {
                using var span = DetectorTelemetry.Source.StartActivity("postprocess");
                detections = Postprocess(model, item.Output!, pre.Transform, request.Options);
            }
            finally
            {
                scheduler.Return(item.Output!);
                item.Output = null;
            }

            var postMs = Stopwatch.GetElapsedTime(postStart).TotalMilliseconds;
            var totalMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            model.Metrics.Postprocess.Observe(postMs / 1000.0);
            model.Metrics.Ok.Inc();
            activity?.SetTag("detector.batch_size", info.BatchSize);
            if (request.Priority == DetectionPriority.Interactive)
            {
                if ((reserved ?? owned) is { PredictedSeconds: > 0 } place)
                {
                    scheduler.ObserveCompletion(totalMs / 1000.0, place.PredictedSeconds);
                }

                DegradationLadder.CountServed(requested.Name, rung);
                activity?.SetTag("detector.degradation", rung ?? DegradationRungs.Full);
            }

            activity?.SetTag("detector.detections", detections.Length);
            return new DetectionOutcome(
                manifest.Name,
                manifest.Version,
                pre.Header.Width,
                pre.Header.Height,
                pre.Header.Format,
                detections,
                new DetectionTimings(pre.DecodeMs, info.QueueMs, info.InferenceMs, postMs, totalMs, info.BatchSize))
            {
                Degradation = rung,
                RequestedModel = requested.Name,
            };
        }
        catch (ProblemException ex)
        {
            model.Metrics.Outcome(ex.Code).Inc();
            activity?.SetStatus(ActivityStatusCode.Error, ex.Code);
            throw;
        }
        catch (OperationCanceledException)
        {
            model.Metrics.Cancelled.Inc();
            throw;
        }
        finally
        {
            if (input is not null)
            {
                scheduler.Return(input);
            }
        }
    }

    public AdmissionTicket? AdmitEarly(string? model, Guid tenantId, int maxInFlight, DateTimeOffset? deadline, bool allowDegradation, out ProblemException? refusal)
    {
        refusal = null;
        if (_catalog.Find(model ?? _catalog.DefaultModel) is not { } requested || !_host.TryGet(requested.Name, out _))
        {
            return null;
        }

        var (served, rung) = allowDegradation ? _ladder.Choose(requested.Name) : (requested.Name, null);
        if (!_host.TryGet(served, out var loaded))
        {
            return null;
        }

        return Admit(loaded, served, DetectionPriority.Interactive, tenantId, maxInFlight, deadline, out refusal, requested.Name, rung);
    }

    /// <summary>Reserves a place in the model's queue (released when the ticket is disposed), or throws the refusal.</summary>
    private static AdmissionTicket AdmitOrThrow(LoadedModel model, string name, DetectionPriority priority, Guid tenant, int maxInFlight, DateTimeOffset? deadline) =>
        Admit(model, name, priority, tenant, maxInFlight, deadline, out var refused) ?? throw refused!;

    /// <summary>Reserves a place in the model's queue (released when the ticket is disposed), or returns null with the refusal.</summary>
    /// <param name="requestedModel">The model the client asked for when the ladder chose <paramref name="name"/> instead; null: the same.</param>
    private static AdmissionTicket? Admit(LoadedModel model, string name, DetectionPriority priority, Guid tenant, int maxInFlight, DateTimeOffset? deadline, out ProblemException? refusal, string? requestedModel = null, string? rung = null)
    {
        var scheduler = model.Scheduler;
        refusal = Refusal(model, scheduler.Admit(priority, tenant, maxInFlight, BudgetOf(deadline), out var predicted));
        return refusal is null
            ? new AdmissionTicket(name, () => scheduler.Release(priority, tenant)) { RequestedModel = requestedModel ?? name, Rung = rung, PredictedSeconds = predicted }
            : null;
    }

    /// <summary>What is left of a request's own deadline; null (no deadline) lets the default sync budget apply.</summary>
    private static TimeSpan? BudgetOf(DateTimeOffset? deadline) => deadline is { } d ? d - DateTimeOffset.UtcNow : null;

    /// <summary>The answer to a refused admission: the tenant's own limit is its 429, a full model everyone's 503.</summary>
    private static ProblemException? Refusal(LoadedModel model, Admission admission)
    {
        if (admission == Admission.Admitted)
        {
            return null;
        }

        model.Metrics.Rejected.Inc();
        return admission == Admission.TenantInFlight
            ? new ProblemException(429, ErrorCodes.ConcurrencyLimited, "Too many requests in flight", "This tenant has as many requests in the pipeline as its plan allows; retry when one finishes.") { RetryAfterSeconds = 1 }
            : new ProblemException(503, ErrorCodes.Overloaded, "Overloaded", $"Model '{model.Manifest.Name}' has a full queue; retry later.") { RetryAfterSeconds = model.Scheduler.EstimateRetryAfterSeconds() };
    }

    private static Detection[] Postprocess(LoadedModel model, float[] output, InputTransform transform, DetectionOptions options)
    {
        var manifest = model.Manifest;
        var candidates = new CandidateBuffer(256);
        try
        {
            HeadDecoder.Decode(manifest, model.Runner.Layout, output.AsSpan(0, model.Runner.Layout.TotalPerImage), transform, options.MinScore, ref candidates);
            if (candidates.Count > Nms.MaxCandidates)
            {
                model.Metrics.CandidatesCapped.Inc();
            }

            var kept = Nms.Run(candidates.Span, options.Iou, options.MaxDetections);
            var result = new Detection[kept];
            var span = candidates.Span;
            for (var i = 0; i < kept; i++)
            {
                ref readonly var c = ref span[i];
                result[i] = new Detection(manifest.Labels[c.ClassId], c.ClassId, c.Score, [c.X1, c.Y1, c.X2, c.Y2]);
            }

            return result;
        }
        finally
        {
            candidates.Dispose();
        }
    }

    public void Dispose() => _backgroundSlots.Dispose();
}
