using Detector.Modules.Models.Contracts;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using SessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace Detector.Modules.Inference.Runtime;

/// <summary>
/// A loaded model version: the execution provider that could load it, its output layout, and the
/// sessions of its executor slots. Each slot owns its session (a few megabytes of weights), so a
/// slot whose session failed is recreated alone while the others keep serving; the set is fixed
/// at start (one per slot, never one per request).
/// </summary>
internal sealed partial class OrtModelRunner : IDisposable
{
    private readonly List<OrtBatchSlot> _slots = [];
    private readonly InferenceOptions _options;
    private readonly byte[] _model;
    private InferenceSession? _spare;

    private OrtModelRunner(ModelManifest manifest, byte[] model, InferenceSession probe, string provider, OutputLayout layout, InferenceOptions options)
    {
        Manifest = manifest;
        _model = model;
        _spare = probe;
        Provider = provider;
        Layout = layout;
        _options = options;
    }

    public ModelManifest Manifest { get; }

    public string Provider { get; }

    public OutputLayout Layout { get; }

    /// <summary>A slot with its own session; <paramref name="intraOpThreads"/> null takes the configured threads, 0 one per core.</summary>
    public OrtBatchSlot CreateSlot(int maxBatch, int? intraOpThreads = null)
    {
        var threads = intraOpThreads ?? _options.IntraOpThreads;
        var slot = new OrtBatchSlot(this, maxBatch, threads);
        _slots.Add(slot);
        return slot;
    }

    /// <summary>
    /// A new session on the provider the model was loaded on. The first slot with the configured
    /// threads takes the session that probed the model, so loading costs no extra session.
    /// </summary>
    internal InferenceSession CreateSession(int intraOpThreads)
    {
        if (intraOpThreads == _options.IntraOpThreads && Interlocked.Exchange(ref _spare, null) is { } probe)
        {
            return probe;
        }

        using var sessionOptions = CreateSessionOptions(_options, intraOpThreads);
        AppendProvider(sessionOptions, Provider, _options);
        return new InferenceSession(_model, sessionOptions);
    }

    /// <summary>
    /// Loads the version from its artifact's bytes, read once and checked against the registered
    /// sha256: every session of it (a recreated slot's too) is made from exactly the bytes checked,
    /// never from a file that may have changed since.
    /// </summary>
    public static OrtModelRunner Load(ModelManifest manifest, InferenceOptions options, ILogger logger)
    {
        var model = ArtifactCheck.ReadVerified(manifest);
        var available = OrtEnv.Instance().GetAvailableProviders();
        var candidates = ProviderSelector.Candidates(options.Provider, available, ProviderSelector.NvidiaDevicePresent());
        Exception? lastError = null;
        foreach (var provider in candidates)
        {
            var sessionOptions = CreateSessionOptions(options, options.IntraOpThreads);
            try
            {
                AppendProvider(sessionOptions, provider, options);
                var session = new InferenceSession(model, sessionOptions);
                var layout = OutputLayout.Probe(session, manifest);
                LogLoaded(logger, manifest.Name, manifest.Version, provider);
                return new OrtModelRunner(manifest, model, session, provider, layout, options);
            }
            catch (Exception ex) when (provider != ProviderSelector.Cpu && ex is OnnxRuntimeException or DllNotFoundException or EntryPointNotFoundException)
            {
                lastError = ex;
                LogProviderUnavailable(logger, provider, manifest.Name, ex.Message);
            }
            finally
            {
                sessionOptions.Dispose();
            }
        }

        throw new InvalidOperationException($"No execution provider could load model '{manifest.Name}'.", lastError);
    }

    private static void AppendProvider(SessionOptions sessionOptions, string provider, InferenceOptions options)
    {
        switch (provider)
        {
            case ProviderSelector.TensorRt:
                using (var trt = new OrtTensorRTProviderOptions())
                {
                    trt.UpdateOptions(new Dictionary<string, string>
                    {
                        ["device_id"] = options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                        ["trt_fp16_enable"] = options.TensorRtFp16 ? "1" : "0",
                        ["trt_engine_cache_enable"] = "1",
                    });
                    sessionOptions.AppendExecutionProvider_Tensorrt(trt);
                }

                sessionOptions.AppendExecutionProvider_CUDA(CudaOptions(options));
                break;
            case ProviderSelector.Cuda:
                sessionOptions.AppendExecutionProvider_CUDA(CudaOptions(options));
                break;
        }
    }

    private static SessionOptions CreateSessionOptions(InferenceOptions options, int intraOpThreads)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimization switch
            {
                "Disabled" => GraphOptimizationLevel.ORT_DISABLE_ALL,
                "Basic" => GraphOptimizationLevel.ORT_ENABLE_BASIC,
                "Extended" => GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
                _ => GraphOptimizationLevel.ORT_ENABLE_ALL,
            },
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            InterOpNumThreads = options.InterOpThreads,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (intraOpThreads > 0)
        {
            so.IntraOpNumThreads = intraOpThreads;
        }

        so.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");

        return so;
    }

    private static OrtCUDAProviderOptions CudaOptions(InferenceOptions options)
    {
        var cuda = new OrtCUDAProviderOptions();
        var settings = new Dictionary<string, string>
        {
            ["device_id"] = options.DeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["cudnn_conv_algo_search"] = options.CudnnExhaustiveSearch ? "EXHAUSTIVE" : "HEURISTIC",
            ["arena_extend_strategy"] = "kSameAsRequested",
        };
        if (options.CudaArenaMaxBytes > 0)
        {
            settings["gpu_mem_limit"] = options.CudaArenaMaxBytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        cuda.UpdateOptions(settings);
        return cuda;
    }

    public void Dispose()
    {
        foreach (var slot in _slots)
        {
            slot.Dispose();
        }

        Interlocked.Exchange(ref _spare, null)?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded model {Model} version {Version} on {Provider}")]
    private static partial void LogLoaded(ILogger logger, string model, string version, string provider);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution provider {Provider} unavailable for {Model}, falling back: {Reason}")]
    private static partial void LogProviderUnavailable(ILogger logger, string provider, string model, string reason);
}
