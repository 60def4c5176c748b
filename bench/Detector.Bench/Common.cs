using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Detector.Bench;

/// <summary>Settings shared by every part: where things are and how long to run.</summary>
internal sealed class BenchContext
{
    public required string Root { get; init; }

    public required string OutDir { get; init; }

    public required bool Quick { get; init; }

    /// <summary>The model every part measures (BENCH_MODEL, default yolox_nano_416).</summary>
    public string Model { get; init; } = Environment.GetEnvironmentVariable("BENCH_MODEL") is { Length: > 0 } m ? m : "yolox_nano_416";

    public string ModelsDir => Environment.GetEnvironmentVariable("Models__Directory") is { Length: > 0 } d ? d : Path.GetFullPath(Path.Combine(Root, "..", "shared", "models"));

    public string DatasetDir => Path.GetFullPath(Path.Combine(Root, "..", "shared", "datasets", "coco-ccby"));

    public string WebDir => Path.Combine(Root, "Detector.Web", "bin", "Release", "net10.0");

    public string WebDll => Path.Combine(WebDir, "Detector.Web.dll");

    public string CacheDir => Path.Combine(Root, "bench", "results", "cache");

    public JsonObject Results { get; } = new();

    /// <summary>Duration scaled for --quick.</summary>
    public TimeSpan D(double full, double quick) => TimeSpan.FromSeconds(Quick ? quick : full);

    public List<(string Name, byte[] Bytes)> LoadImages(string folder = "val2017")
    {
        var dir = Path.Combine(DatasetDir, folder);
        return [.. Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).Select(p => (Path.GetFileName(p), File.ReadAllBytes(p)))];
    }

    /// <summary>The COCO val and train JPEGs (53 images, about 640x480), used round-robin by the load.</summary>
    public List<(string Name, byte[] Bytes)> LoadAllCoco() => [.. LoadImages("val2017"), .. LoadImages("train2017")];
}

internal static class Log
{
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static void Info(string message) =>
        Console.Error.WriteLine($"[bench {Clock.Elapsed.TotalSeconds,6:F1}s] {message}");
}

/// <summary>Percentiles over recorded samples (nearest-rank on a sorted copy).</summary>
internal static class Stats
{
    public static double Percentile(IReadOnlyList<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.ToArray();
        Array.Sort(sorted);
        var rank = (int)Math.Ceiling(p / 100.0 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? double.NaN : values.Average();

    public static double R(double v, int digits = 2) => double.IsFinite(v) ? Math.Round(v, digits) : double.NaN;

    public static JsonNode? N(double v, int digits = 2) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, digits)) : null;
}

/// <summary>CPU time and memory of another process from /proc (Linux).</summary>
internal sealed class ProcStats(int pid)
{
    private static readonly double TicksPerSecond = ReadClockTicks();

    public int Pid { get; } = pid;

    public bool Alive => File.Exists($"/proc/{Pid}/stat") && !ReadStat().StartsWith('Z');

    /// <summary>utime + stime of the process, in seconds.</summary>
    public double CpuSeconds()
    {
        return Ticks(File.ReadAllText($"/proc/{Pid}/stat")) / TicksPerSecond;
    }

    /// <summary>utime + stime of every process named postgres (the benchmark's cluster is the machine's only one while it runs), in seconds.</summary>
    public static double DatabaseCpuSeconds()
    {
        long ticks = 0;
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(dir)[0]))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                if (stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')] == "postgres")
                {
                    ticks += Ticks(stat);
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        return ticks / TicksPerSecond;
    }

    /// <summary>utime + stime of a /proc/&lt;pid&gt;/stat line, in clock ticks.</summary>
    private static long Ticks(string stat)
    {
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ": state is field 3 (index 0); utime is field 14 (index 11), stime 15 (index 12).
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>VmRSS in MiB, or NaN when the process is gone.</summary>
    public double RssMiB()
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
                    return kb / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }

        return double.NaN;
    }

    private string ReadStat()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..];
        }
        catch (IOException)
        {
            return "Z";
        }
    }

    private static double ReadClockTicks()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var s = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            return double.Parse(s, CultureInfo.InvariantCulture);
        }
        catch (Exception)
        {
            return 100;
        }
    }
}

/// <summary>Samples RSS of a process in the background to find its peak over a window.</summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly ProcStats _proc;
    private readonly CancellationTokenSource _cts = new();
    private readonly Task _loop;
    private double _peak;
    private double _sum;
    private int _count;

    public RssSampler(ProcStats proc, TimeSpan every)
    {
        _proc = proc;
        _loop = Task.Run(async () =>
        {
            while (!_cts.IsCancellationRequested)
            {
                Sample();
                try
                {
                    await Task.Delay(every, _cts.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        });
    }

    private void Sample()
    {
        var rss = _proc.RssMiB();
        if (double.IsFinite(rss))
        {
            lock (_cts)
            {
                _peak = Math.Max(_peak, rss);
                _sum += rss;
                _count++;
            }
        }
    }

    public double Peak
    {
        get
        {
            lock (_cts)
            {
                return _peak;
            }
        }
    }

    public double Mean
    {
        get
        {
            lock (_cts)
            {
                return _count == 0 ? double.NaN : _sum / _count;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Sample();
        await _cts.CancelAsync();
        await _loop;
        _cts.Dispose();
    }
}

internal static class LoadAverage
{
    public static string Read()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    public static double OneMinute() => double.TryParse(Read().Split(' ')[0], CultureInfo.InvariantCulture, out var v) ? v : double.NaN;
}
