using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Detector.Bench;

/// <summary>One answered (or failed) request. Status -1: transport error or client timeout.</summary>
internal readonly record struct Sample(double Ms, int Status, int Batch, double QueueMs, bool RetryAfter, double DoneAtS, double DecodeMs = double.NaN, double InferMs = double.NaN, double ServerMs = double.NaN, double RetryAfterS = 0, double PostMs = double.NaN, string? Storage = null);

/// <summary>What one load phase measured, with CPU and RSS of the service over its window.</summary>
internal sealed class Phase
{
    public required List<Sample> Samples { get; init; }

    public required double WindowS { get; init; }

    public double CpuPercent { get; init; } = double.NaN;

    /// <summary>The load generator's own CPU over the window (it shares the cores with the service).</summary>
    public double ClientCpuPercent { get; init; } = double.NaN;

    /// <summary>Every PostgreSQL process's CPU over the window (the database shares the cores too).</summary>
    public double DbCpuPercent { get; init; } = double.NaN;

    public double RssEndMiB { get; init; } = double.NaN;

    public double RssPeakMiB { get; init; } = double.NaN;

    public double RssMeanMiB { get; init; } = double.NaN;

    /// <summary>Garbage collections in the service during the window, by generation (from /metrics).</summary>
    public double[] GcDelta { get; set; } = [double.NaN, double.NaN, double.NaN];

    public IEnumerable<Sample> Ok => Samples.Where(s => s.Status == 200);

    public double Throughput => Ok.Count() / WindowS;

    public double P(double p) => Stats.Percentile([.. Ok.Select(s => s.Ms)], p);

    /// <summary>A process's CPU over the window (percent of one core) as milliseconds per 200.</summary>
    private JsonNode? MsPerOk(double cpuPercent) => Stats.N(cpuPercent * 10 * WindowS / Math.Max(1, Ok.Count()), 2);

    public double QueueP(double p) => Stats.Percentile([.. Ok.Select(s => s.QueueMs)], p);

    public double MeanBatch => Ok.Any() ? Ok.Average(s => s.Batch) : double.NaN;

    public JsonObject ToJson(JsonObject? extra = null)
    {
        var codes = new JsonObject();
        foreach (var g in Samples.GroupBy(s => s.Status).OrderBy(g => g.Key))
        {
            codes[g.Key == -1 ? "error" : g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture)] = g.Count();
        }

        var o = new JsonObject
        {
            ["requests"] = Samples.Count,
            ["ok"] = Ok.Count(),
            ["status_codes"] = codes,
            ["window_s"] = Stats.N(WindowS),
            ["images_per_s"] = Stats.N(Throughput, 1),
            ["p50_ms"] = Stats.N(P(50)),
            ["p95_ms"] = Stats.N(P(95)),
            ["p99_ms"] = Stats.N(P(99)),
            ["mean_batch"] = Stats.N(MeanBatch),
            ["queue_p50_ms"] = Stats.N(QueueP(50)),
            ["queue_p99_ms"] = Stats.N(QueueP(99)),
            ["decode_p50_ms"] = Stats.N(Stats.Percentile([.. Ok.Select(s => s.DecodeMs)], 50)),
            ["batch_inference_mean_ms"] = Stats.N(Stats.Mean([.. Ok.Select(s => s.InferMs)])),
            ["server_total_p50_ms"] = Stats.N(Stats.Percentile([.. Ok.Select(s => s.ServerMs)], 50)),
            ["cpu_percent"] = Stats.N(CpuPercent, 1),
            ["images_per_cpu_s"] = Stats.N(Throughput / (CpuPercent / 100), 1),
            ["client_cpu_percent"] = Stats.N(ClientCpuPercent, 1),
            ["db_cpu_percent"] = Stats.N(DbCpuPercent, 1),
            // CPU-milliseconds each 200 cost, by process: where the machine's cores went.
            ["cpu_ms_per_ok"] = new JsonObject
            {
                ["service"] = MsPerOk(CpuPercent),
                ["database"] = MsPerOk(DbCpuPercent),
                ["load_generator"] = MsPerOk(ClientCpuPercent),
            },
            ["gc_gen0"] = Stats.N(GcDelta[0], 0),
            ["gc_gen1"] = Stats.N(GcDelta[1], 0),
            ["gc_gen2"] = Stats.N(GcDelta[2], 0),
            ["rss_end_mib"] = Stats.N(RssEndMiB, 1),
            ["rss_peak_mib"] = Stats.N(RssPeakMiB, 1),
            ["load_avg"] = LoadAverage.Read(),
        };
        foreach (var (k, v) in extra ?? [])
        {
            o[k] = v?.DeepClone();
        }

        return o;
    }
}

/// <summary>
/// Load generator for POST /v1/detect on 127.0.0.1 only: closed loop (N workers, each sends
/// its next image when the last answer came) and open loop (fixed arrival rate). Every phase
/// is bounded in time and count, and every request has a client timeout.
/// </summary>
internal sealed class HttpLoad : IDisposable
{
    private static readonly MediaTypeHeaderValue Jpeg = new("image/jpeg");
    private readonly HttpClient _http;
    private readonly Uri _detect;
    private readonly string _key;
    private readonly ProcStats _proc;

    /// <param name="model">A model selector for every request (<c>?model=</c>), e.g. a pinned version; null: the plan's default.</param>
    public HttpLoad(string baseUrl, string apiKey, ProcStats proc, string? model = null)
    {
        var uri = new Uri(baseUrl);
        if (!IPAddress.TryParse(uri.Host, out var ip) || !IPAddress.IsLoopback(ip))
        {
            throw new ArgumentException("the load generator only targets 127.0.0.1", nameof(baseUrl));
        }

        _http = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1024,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
            ConnectTimeout = TimeSpan.FromSeconds(10),
        })
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        _detect = new Uri(uri, model is null ? "/v1/detect" : "/v1/detect?model=" + Uri.EscapeDataString(model));
        _key = apiKey;
        _proc = proc;
    }

    private long _sent;

    /// <summary>Requests this load has started, in all its phases.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    public async Task<Sample> SendAsync(byte[] image, Stopwatch clock, CancellationToken ct = default)
    {
        Interlocked.Increment(ref _sent);
        var t0 = Stopwatch.GetTimestamp();
        try
        {
            using var content = new ByteArrayContent(image);
            content.Headers.ContentType = Jpeg;
            using var req = new HttpRequestMessage(HttpMethod.Post, _detect) { Content = content };
            req.Headers.Add("X-Api-Key", _key);
            using var resp = await _http.SendAsync(req, HttpCompletionOption.ResponseContentRead, ct);
            var body = await resp.Content.ReadAsByteArrayAsync(ct);
            var ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
            var status = (int)resp.StatusCode;
            int batch = 0;
            double queue = double.NaN, decode = double.NaN, infer = double.NaN, server = double.NaN, post = double.NaN;
            string? storage = null;
            if (status == 200)
            {
                using var doc = JsonDocument.Parse(body);
                var t = doc.RootElement.GetProperty("timings");
                batch = t.GetProperty("batch_size").GetInt32();
                queue = t.GetProperty("queue_ms").GetDouble();
                decode = t.GetProperty("decode_ms").GetDouble();
                infer = t.GetProperty("inference_ms").GetDouble();
                server = t.GetProperty("total_ms").GetDouble();
                post = t.GetProperty("postprocess_ms").GetDouble();
                storage = doc.RootElement.GetProperty("image").TryGetProperty("storage", out var st) ? st.GetString() : null;
            }

            return new Sample(ms, status, batch, queue, resp.Headers.RetryAfter is not null, clock.Elapsed.TotalSeconds, decode, infer, server, resp.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0, post, storage);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or JsonException or KeyNotFoundException)
        {
            return new Sample(Stopwatch.GetElapsedTime(t0).TotalMilliseconds, -1, 0, double.NaN, false, clock.Elapsed.TotalSeconds);
        }
    }

    /// <summary>
    /// Closed loop: <paramref name="concurrency"/> workers, round-robin over the images, for
    /// <paramref name="duration"/> or until <paramref name="maxRequests"/> answers. Only answers
    /// completed inside the window count. <paramref name="onProgress"/> sees the answer count.
    /// </summary>
    /// <param name="rude">Clients that resend at once after a 503, as naive retry loops and many mobile SDKs do.</param>
    public Task<Phase> ClosedAsync(IReadOnlyList<byte[]> images, int concurrency, TimeSpan duration, long maxRequests = long.MaxValue, Action<long>? onProgress = null, bool rude = false) =>
        WithGc(() => ClosedCoreAsync(images, concurrency, duration, maxRequests, onProgress, rude));

    private async Task<Phase> ClosedCoreAsync(IReadOnlyList<byte[]> images, int concurrency, TimeSpan duration, long maxRequests, Action<long>? onProgress, bool rude)
    {
        var samples = new List<Sample>();
        long next = -1, done = 0;
        var cpu0 = _proc.CpuSeconds();
        var client0 = ClientCpuSeconds();
        var db0 = ProcStats.DatabaseCpuSeconds();
        await using var rss = new RssSampler(_proc, TimeSpan.FromMilliseconds(250));
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            while (clock.Elapsed < duration)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= maxRequests)
                {
                    break;
                }

                var s = await SendAsync(images[(int)(i % images.Count)], clock);
                if (s.DoneAtS <= duration.TotalSeconds)
                {
                    lock (samples)
                    {
                        samples.Add(s);
                    }

                    onProgress?.Invoke(Interlocked.Increment(ref done));
                }

                // A well-behaved client: a 503 with Retry-After means wait that long, not retry at once.
                if (!rude && s.Status == 503 && s.RetryAfterS > 0)
                {
                    var left = duration - clock.Elapsed;
                    if (left > TimeSpan.Zero)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(Math.Min(s.RetryAfterS, left.TotalSeconds)));
                    }
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var window = Math.Min(clock.Elapsed.TotalSeconds, duration.TotalSeconds);
        if (maxRequests != long.MaxValue && samples.Count > 0)
        {
            window = samples.Max(s => s.DoneAtS);
        }

        var cpu1 = _proc.CpuSeconds();
        return new Phase
        {
            Samples = samples,
            WindowS = window,
            CpuPercent = (cpu1 - cpu0) / clock.Elapsed.TotalSeconds * 100,
            ClientCpuPercent = (ClientCpuSeconds() - client0) / clock.Elapsed.TotalSeconds * 100,
            DbCpuPercent = (ProcStats.DatabaseCpuSeconds() - db0) / clock.Elapsed.TotalSeconds * 100,
            RssEndMiB = _proc.RssMiB(),
            RssPeakMiB = rss.Peak,
            RssMeanMiB = rss.Mean,
        };
    }

    /// <summary>
    /// Open loop: requests at a fixed <paramref name="rate"/> per second for <paramref name="duration"/>,
    /// whatever the answers; at most <paramref name="maxOutstanding"/> in flight (beyond that an
    /// arrival is counted as skipped by the client). Waits for the stragglers (client timeout 60 s).
    /// </summary>
    public async Task<(Phase Phase, long Skipped)> OpenAsync(IReadOnlyList<byte[]> images, double rate, TimeSpan duration, int maxOutstanding = 4096)
    {
        long skipped = 0;
        var phase = await WithGc(async () =>
        {
            var (p, s) = await OpenCoreAsync(images, rate, duration, maxOutstanding);
            skipped = s;
            return p;
        });
        return (phase, skipped);
    }

    private async Task<(Phase Phase, long Skipped)> OpenCoreAsync(IReadOnlyList<byte[]> images, double rate, TimeSpan duration, int maxOutstanding)
    {
        var samples = new List<Sample>();
        var tasks = new List<Task>();
        long sent = 0, skipped = 0;
        var outstanding = 0;
        var cpu0 = _proc.CpuSeconds();
        var client0 = ClientCpuSeconds();
        var db0 = ProcStats.DatabaseCpuSeconds();
        await using var rss = new RssSampler(_proc, TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            while (sent < due)
            {
                var image = images[(int)(sent % images.Count)];
                sent++;
                if (Volatile.Read(ref outstanding) >= maxOutstanding)
                {
                    skipped++;
                    continue;
                }

                Interlocked.Increment(ref outstanding);
                tasks.Add(Task.Run(async () =>
                {
                    var s = await SendAsync(image, clock);
                    Interlocked.Decrement(ref outstanding);
                    lock (samples)
                    {
                        samples.Add(s);
                    }
                }));
            }

            await Task.Delay(1);
        }

        var sendWindow = clock.Elapsed.TotalSeconds;
        await Task.WhenAll(tasks);
        var cpu1 = _proc.CpuSeconds();
        return (new Phase
        {
            Samples = samples,
            WindowS = sendWindow,
            CpuPercent = (cpu1 - cpu0) / clock.Elapsed.TotalSeconds * 100,
            ClientCpuPercent = (ClientCpuSeconds() - client0) / clock.Elapsed.TotalSeconds * 100,
            DbCpuPercent = (ProcStats.DatabaseCpuSeconds() - db0) / clock.Elapsed.TotalSeconds * 100,
            RssEndMiB = _proc.RssMiB(),
            RssPeakMiB = rss.Peak,
            RssMeanMiB = rss.Mean,
        }, skipped);
    }

    /// <summary>dotnet_collection_count_total by generation from the service's /metrics.</summary>
    public async Task<double[]> GcCountsAsync()
    {
        var result = new[] { double.NaN, double.NaN, double.NaN };
        try
        {
            var text = await _http.GetStringAsync(new Uri(_detect, "/metrics"));
            foreach (var line in text.Split('\n'))
            {
                if (line.StartsWith("dotnet_collection_count_total{generation=\"", StringComparison.Ordinal))
                {
                    var g = line[42] - '0';
                    if (g is >= 0 and <= 2)
                    {
                        result[g] = double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or FormatException)
        {
        }

        return result;
    }

    private async Task<Phase> WithGc(Func<Task<Phase>> run)
    {
        var before = await GcCountsAsync();
        var phase = await run();
        var after = await GcCountsAsync();
        phase.GcDelta = [after[0] - before[0], after[1] - before[1], after[2] - before[2]];
        return phase;
    }

    private static double ClientCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    public void Dispose() => _http.Dispose();
}
