using System.Diagnostics;
using Detector.Modules.Common;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Inference.Degradation;
using Detector.Modules.Inference.Loading;
using Detector.Modules.Inference.Pipeline;
using Detector.Modules.Inference.Postprocessing;
using Detector.Modules.Inference.Scheduling;
using Detector.Modules.Models.Contracts;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Inference;

/// <summary>
/// The single detection pipeline behind the API, async jobs and evaluation, in its steps: which
/// model serves (<see cref="ServedModel"/>), a place in its queue (<see cref="DetectionAdmission"/>),
/// decoding (<see cref="PreprocessStage"/>), the batch (<see cref="BatchScheduler"/>), the head
/// and NMS (<see cref="Postprocessor"/>), and what is recorded of it.
/// </summary>
internal sealed class ObjectDetector : IObjectDetector, IDisposable
{
    private readonly IModelCatalog _catalog;
    private readonly InferenceHost _host;
    private readonly DegradationLadder _ladder;
    private readonly InferenceOptions _options;
    private readonly PreprocessStage _preprocess;
    private readonly SemaphoreSlim _backgroundSlots;
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<ModelManifest, ServingIdentity> _identities = [];
    private readonly IDetectionObserver[] _observers;
    private readonly bool _observeInput;

    public ObjectDetector(IModelCatalog catalog, IImagePreprocessor preprocessor, InferenceHost host, DegradationLadder ladder, IOptions<InferenceOptions> options, IEnumerable<IDetectionObserver> observers)
    {
        _observers = [.. observers];
        _observeInput = _observers.Any(o => o.WantsInput);
        _catalog = catalog;
        _host = host;
        _ladder = ladder;
        _options = options.Value;
        _preprocess = new PreprocessStage(preprocessor, _options);
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

    public AdmissionTicket? AdmitEarly(string? model, Guid tenantId, string? subject, int maxInFlight, DateTimeOffset? deadline, bool allowDegradation, out DomainException? refusal)
    {
        refusal = null;
        var name = model ?? _catalog.DefaultModel;
        if (!ServedModel.TryRoute(name, subject, tenantId, _catalog, _host, out var requested, out var variant))
        {
            return null; // unknown or loading: the detect call itself reports it
        }

        // A pinned version or alias, or a variant other than production, is that version or a
        // refusal, as with allow_degradation=false: a canary's figures are the canary's own.
        var (served, rung) = allowDegradation && variant == ModelAliases.Production && !ModelSelector.IsPinned(name) ? _ladder.Choose(requested.Manifest.Name) : (requested.Key, null);
        if (!_host.TryGet(served, out var loaded))
        {
            return null;
        }

        return DetectionAdmission.Admit(loaded, loaded.Key, DetectionPriority.Interactive, tenantId, maxInFlight, deadline, out refusal, name, rung, variant);
    }

    // Built once per served manifest: the cache asks on every request, which should not format a key each time.
    public ServingIdentity? Identify(string? model, string? subject = null, Guid? tenantId = null)
    {
        if (!ServedModel.TryRoute(model ?? _catalog.DefaultModel, subject, tenantId, _catalog, _host, out var loaded, out var variant))
        {
            return null;
        }

        var identity = _identities.GetValue(loaded.Manifest, static m => new ServingIdentity(m.Name, m.Version, PreprocessingKey(m.Preprocess)));
        return variant == identity.Variant ? identity : identity with { Variant = variant };
    }

    public IReadOnlyList<Detection>? Rethreshold(ServingIdentity served, CandidateSnapshot candidates, DetectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(served);
        ArgumentNullException.ThrowIfNull(candidates);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MinScore < candidates.Floor || !_host.TryGet(ServingTable.Key(served.Model, served.Version), out var model))
        {
            return null;
        }

        using var span = DetectorTelemetry.Source.StartActivity("postprocess");
        span?.SetTag("detector.cache", "hit");
        return Postprocessor.Rerun(model, candidates, options);
    }

    public void Dispose() => _backgroundSlots.Dispose();

    /// <summary>Everything that shapes the tensor from the pixels: the same image under another key would be another input.</summary>
    private static string PreprocessingKey(PreprocessSpec p) =>
        FormattableString.Invariant($"{p.Width}x{p.Height};{p.ColorOrder};{p.ResizeMode};{p.PadValue};{string.Join(',', p.Mean)};{string.Join(',', p.Std)}");

    private async Task<DetectionOutcome> DetectCoreAsync(DetectionRequest request, CancellationToken cancellationToken)
    {
        var served = ServedModel.Resolve(request, _catalog, _host, _ladder);
        var (manifest, model) = (served.Manifest, served.Model);
        using var activity = DetectorTelemetry.Source.StartActivity("detect");
        activity?.SetTag("detector.model", manifest.Name);
        activity?.SetTag("detector.model_version", manifest.Version);
        activity?.SetTag("detector.variant", served.Variant);
        var started = Stopwatch.GetTimestamp();
        var tenant = request.TenantId ?? Guid.Empty;
        // A place reserved before the upload was read is used as it is (its owner gives it back):
        // no second judgement after the body.
        using var owned = served.Reserved is not null
            ? null
            : DetectionAdmission.AdmitOrThrow(model, model.Key, request.Priority, tenant, request.MaxInFlight, request.Deadline);

        float[]? input = null;
        try
        {
            (var pre, input) = await _preprocess.RunAsync(request, model, tenant, cancellationToken);
            ObservedImage? observedInput = request.OffPath || !_observeInput
                ? null
                : new ObservedImage(pre.Header.Width, pre.Header.Height, InputBrightness.Of(input.AsSpan(0, model.Scheduler.InputLength), manifest.Preprocess, pre.Transform));
            var (info, output) = await InferAsync(model.Scheduler, input, request, tenant, cancellationToken);
            var postStart = Stopwatch.GetTimestamp();
            Detection[] detections;
            CandidateSnapshot? kept;
            try
            {
                using var span = DetectorTelemetry.Source.StartActivity("postprocess");
                // Only a full answer of the requested model is worth keeping: a stand-in's is not what a repeat asked for.
                var keepAbove = served.Rung is null ? request.KeepCandidatesAbove : null;
                detections = Postprocessor.Run(model, output, pre.Transform, request.Options, keepAbove, out kept);
            }
            finally
            {
                model.Scheduler.Return(output);
            }

            var postMs = Stopwatch.GetElapsedTime(postStart).TotalMilliseconds;
            var totalMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            RecordServed(served, served.Reserved ?? owned, request.Priority, activity, info, detections.Length, postMs, totalMs);
            Observe(request, served, null, totalMs, detections, observedInput);
            return new DetectionOutcome(
                manifest.Name,
                manifest.Version,
                pre.Header.Width,
                pre.Header.Height,
                pre.Header.Format,
                detections,
                new DetectionTimings(pre.DecodeMs, info.QueueMs, info.InferenceMs, postMs, totalMs, info.BatchSize)
                {
                    CoreMs = pre.DecodeMs + (info.InferenceMs * info.Threads / Math.Max(1, info.BatchSize)) + postMs,
                })
            {
                Degradation = served.Rung,
                RequestedModel = served.RequestedName,
                Variant = served.Variant,
                Candidates = kept,
            };
        }
        catch (DomainException ex)
        {
            model.Metrics.Outcome(ex.Code).Inc();
            VariantMetrics.Failed(served, ex.Code);
            Observe(request, served, ex.Code, Stopwatch.GetElapsedTime(started).TotalMilliseconds, []);
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
                model.Scheduler.Return(input);
            }
        }
    }

    /// <summary>Tells the observers (rollouts) of a detection that ran; off-path comparison runs are not traffic.</summary>
    private void Observe(DetectionRequest request, ServedModel served, string? outcome, double totalMs, IReadOnlyList<Detection> detections, ObservedImage? input = null)
    {
        if (request.OffPath || _observers.Length == 0)
        {
            return;
        }

        var observed = new ObservedDetection(served.RequestedName, served.Variant, served.Manifest.Version, request.Priority, served.Rung is not null, outcome, totalMs, detections, request.Options, request.Image, request.TenantId, input);
        foreach (var observer in _observers)
        {
            observer.Observe(observed);
        }
    }

    /// <summary>Queues the decoded tensor for its batch; the caller gives the returned output back to the scheduler.</summary>
    private async Task<(BatchInfo Info, float[] Output)> InferAsync(BatchScheduler scheduler, float[] input, DetectionRequest request, Guid tenant, CancellationToken cancellationToken)
    {
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

        var output = item.Output!;
        item.Output = null;
        return (info, output);
    }

    /// <summary>A served request's metrics and trace tags, and, for a sync one, admission's feedback and the ladder's count.</summary>
    private static void RecordServed(ServedModel served, AdmissionTicket? place, DetectionPriority priority, Activity? activity, BatchInfo info, int detections, double postMs, double totalMs)
    {
        var model = served.Model;
        model.Metrics.Postprocess.Observe(postMs / 1000.0);
        model.Metrics.Ok.Inc();
        VariantMetrics.Served(served, totalMs, detections);
        activity?.SetTag("detector.batch_size", info.BatchSize);
        if (priority == DetectionPriority.Interactive)
        {
            if (place is { PredictedSeconds: > 0 })
            {
                model.Scheduler.ObserveCompletion(totalMs / 1000.0, place.PredictedSeconds);
            }

            DegradationLadder.CountServed(served.RequestedName, served.Rung);
            activity?.SetTag("detector.degradation", served.Rung ?? DegradationRungs.Full);
        }

        activity?.SetTag("detector.detections", detections);
    }
}
