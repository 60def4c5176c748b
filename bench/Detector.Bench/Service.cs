using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Detector.Bench;

/// <summary>
/// The real service (Release build of Detector.Web) as a child process on 127.0.0.1, with its
/// log in the results folder. Killed on dispose, on Ctrl-C and on process exit; its pid is also
/// written to a file so bench/run.sh's trap can kill it if this process dies hard.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private static readonly string RunMasterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    private static readonly List<ServiceProcess> Live = [];
    private readonly Process _process;
    private readonly string _pidFile;

    static ServiceProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
        Console.CancelKeyPress += (_, _) => KillAll();
    }

    private ServiceProcess(Process process, string baseUrl, string logPath, string pidFile)
    {
        _process = process;
        BaseUrl = baseUrl;
        LogPath = logPath;
        _pidFile = pidFile;
        Proc = new ProcStats(process.Id);
    }

    public string BaseUrl { get; }

    public string LogPath { get; }

    /// <summary>This service's audit subject key, for commands that write to its audit log.</summary>
    public string AuditSubjectKey { get; private init; } = "";

    public ProcStats Proc { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The audit subject key of this run's services, for commands that write to the same audit log.</summary>
    public static string AuditKey(string adminKey) => "bench-audit-subject-key-" + adminKey;

    public static async Task<ServiceProcess> StartAsync(BenchContext ctx, string name, string adminKey, string dataDir, IReadOnlyDictionary<string, string> extraEnv, string? root = null)
    {
        // root: another checkout's build (the A/B part runs a build from before a change beside this one).
        root ??= ctx.Root;
        var port = FreePort();
        var baseUrl = $"http://127.0.0.1:{port}";
        var logPath = Path.Combine(ctx.OutDir, $"service-{name}.log");
        var psi = new ProcessStartInfo("/bin/sh")
        {
            WorkingDirectory = Path.Combine(root, "Detector.Web"),
            UseShellExecute = false,
            RedirectStandardInput = true,
        };
        // exec: the child's pid is the service's pid (CPU and RSS are read from /proc/<pid>).
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec dotnet \"$0\" >\"$1\" 2>&1");
        psi.ArgumentList.Add(Path.Combine(root, "Detector.Web", "bin", "Release", "net10.0", "Detector.Web.dll"));
        psi.ArgumentList.Add(logPath);
        psi.Environment["ASPNETCORE_URLS"] = baseUrl;
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Tenancy__AdminApiKey"] = adminKey;
        psi.Environment["Tenancy__ApiKeyHashSecret"] = "bench-api-key-hash-secret-" + adminKey;
        // One master key for the whole run: the services of one run share its database, and a second
        // service under another key could not open the data keys the first one stored (not ready).
        psi.Environment["ImageStore__Encryption__MasterKey"] = RunMasterKey;
        psi.Environment["Compliance__AuditSubjectKey"] = AuditKey(adminKey);
        psi.Environment["Models__Directory"] = ctx.ModelsDir;
        psi.Environment["Models__Enabled__0"] = ctx.Model;
        psi.Environment["Models__Default"] = ctx.Model;
        psi.Environment["ImageStore__Path"] = Path.Combine(dataDir, "images");
        // Tenants of the benchmark are unmetered by default: its parts measure the service, not the
        // plan; the parts about plans (8, 9) set plans of their own.
        psi.Environment["Tenancy__DefaultPlan"] = "unmetered";
        // Parts that replay the COCO photos round-robin would measure the result cache (ADR 0017)
        // answering their repeats, not the pipeline: off unless a part turns it on (part cache).
        psi.Environment["Detection__ResultCacheMaxBytes"] = "0";
        psi.Environment["Tenancy__Plans__unmetered__RequestsPerSecond"] = "100000";
        psi.Environment["Tenancy__Plans__unmetered__Burst"] = "100000";
        psi.Environment["Tenancy__Plans__unmetered__MaxInFlight"] = "100000";
        psi.Environment["Tenancy__Plans__unmetered__DailyImages"] = "1000000000";
        psi.Environment["Tenancy__Plans__unmetered__MonthlyImages"] = "1000000000";
        psi.Environment["Tenancy__Plans__unmetered__AllowedPriorities"] = "high,normal,low";
        if (Directory.Exists(Path.Combine(root, "db")))
        {
            psi.Environment["Database__MigrationsPath"] = Path.Combine(root, "db");
        }

        // Tuning experiments: BENCH_SVC_<NAME>=value in the environment becomes <NAME>=value for the service.
        foreach (var entry in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>())
        {
            if (entry.Key is string k0 && k0.StartsWith("BENCH_SVC_", StringComparison.Ordinal) && k0.Length > 10)
            {
                psi.Environment[k0[10..]] = entry.Value as string;
            }
        }

        foreach (var (k, v) in extraEnv)
        {
            psi.Environment[k] = v;
        }

        if (string.IsNullOrEmpty(psi.Environment.TryGetValue("Database__ConnectionString", out var cs) ? cs : null))
        {
            throw new InvalidOperationException("Database__ConnectionString is not set (bench/run.sh sets it)");
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start the service");
        var pidFile = Path.Combine(ctx.OutDir, "service.pid");
        await File.WriteAllTextAsync(pidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var service = new ServiceProcess(process, baseUrl, logPath, pidFile) { AuditSubjectKey = AuditKey(adminKey) };
        lock (Live)
        {
            Live.Add(service);
        }

        Log.Info($"service '{name}' starting: pid {process.Id}, {baseUrl}, log {logPath}");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (process.HasExited)
            {
                var tail = File.Exists(logPath) ? string.Join('\n', File.ReadLines(logPath).TakeLast(30)) : "";
                await service.DisposeAsync();
                throw new InvalidOperationException($"the service exited during start-up (code {process.ExitCode}):\n{tail}");
            }

            try
            {
                using var r = await http.GetAsync($"{baseUrl}/health/ready");
                if (r.StatusCode == HttpStatusCode.OK)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            if (sw.Elapsed > TimeSpan.FromSeconds(180))
            {
                await service.DisposeAsync();
                throw new TimeoutException("the service was not ready within 180 s");
            }

            await Task.Delay(250);
        }

        Log.Info($"service '{name}' ready in {sw.Elapsed.TotalSeconds:F1} s");
        return service;
    }

    public async Task<string> CreateTenantAsync(string adminKey, string name) => (await CreateTenantWithIdAsync(adminKey, name)).Key;

    public async Task SetPlanAsync(string adminKey, Guid tenantId, object plan)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var req = new HttpRequestMessage(HttpMethod.Put, $"{BaseUrl}/v1/admin/tenants/{tenantId}/plan") { Content = JsonContent.Create(plan) };
        req.Headers.Add("X-Api-Key", adminKey);
        using var resp = await http.SendAsync(req);
        if (!resp.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"setting the plan failed: {(int)resp.StatusCode} {await resp.Content.ReadAsStringAsync()}");
        }
    }

    public async Task<(Guid Id, string Key)> CreateTenantWithIdAsync(string adminKey, string name)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var req = new HttpRequestMessage(HttpMethod.Post, $"{BaseUrl}/v1/admin/tenants") { Content = JsonContent.Create(new { name }) };
        req.Headers.Add("X-Api-Key", adminKey);
        using var resp = await http.SendAsync(req);
        var body = await resp.Content.ReadAsStringAsync();
        if (!resp.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"creating tenant failed: {(int)resp.StatusCode} {body}");
        }

        using var doc = JsonDocument.Parse(body);
        return (doc.RootElement.GetProperty("id").GetGuid(), doc.RootElement.GetProperty("api_key").GetString()!);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private static void KillAll()
    {
        ServiceProcess[] live;
        lock (Live)
        {
            live = [.. Live];
        }

        foreach (var s in live)
        {
            s.Kill();
        }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                // Graceful first (SIGTERM), then kill.
                using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                {
                    await term.WaitForExitAsync();
                }

                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await _process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    Kill();
                    await _process.WaitForExitAsync();
                }
            }
        }
        finally
        {
            lock (Live)
            {
                Live.Remove(this);
            }

            File.Delete(_pidFile);
            _process.Dispose();
        }
    }
}
