using System.Diagnostics;
using System.Net.Sockets;
using Detector.Tests.Integration.Jobs;

namespace Detector.Tests.Integration.ImageStorage;

/// <summary>
/// A real S3 API on loopback: s3rver (deploy/s3rver, installed by deploy/bootstrap.sh) in a node
/// process of its own, with its own data folder and one bucket. It checks request signatures, so
/// the backend's credentials are exercised too. Missing s3rver fails the test, never skips it.
/// </summary>
public sealed class S3Server : IAsyncDisposable
{
    public const string Bucket = "detector-images";
    public const string AccessKeyId = "S3RVER";
    public const string SecretAccessKey = "S3RVER";

    private readonly Process _process;
    private readonly string _folder;

    private S3Server(Process process, string folder, Uri endpoint)
    {
        _process = process;
        _folder = folder;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public static string Script => Environment.GetEnvironmentVariable("DETECTOR_S3RVER") is { Length: > 0 } configured
        ? configured
        : Path.Combine(TestPaths.RepoRoot, ".run", "tools", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");

    public static async Task<S3Server> StartAsync()
    {
        if (!File.Exists(Script))
        {
            throw new InvalidOperationException($"s3rver is not installed at {Script}; run the tests through ./test.sh (deploy/bootstrap.sh installs it).");
        }

        var folder = Path.Combine(Path.GetTempPath(), "detector-s3-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var port = ServiceProcess.FreePort();
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Script, "-d", folder, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--no-vhost-buckets", "--configure-bucket", Bucket })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("node did not start");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new S3Server(process, folder, new Uri($"http://127.0.0.1:{port}"));
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync("127.0.0.1", port);
                return server;
            }
            catch (SocketException) when (stopwatch.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                await Task.Delay(100);
            }
            catch (SocketException)
            {
                await server.DisposeAsync();
                throw new InvalidOperationException($"s3rver did not listen on 127.0.0.1:{port} within 30 s (exited: {process.HasExited})");
            }
        }
    }

    /// <summary>The service's configuration for this server: <paramref name="separator"/> is ":" (in-process) or "__" (environment); objects under <paramref name="keyPrefix"/>.</summary>
    public Dictionary<string, string?> Settings(string separator = ":", string keyPrefix = "images/") => new()
    {
        [$"ImageStore{separator}Backend"] = "S3",
        [$"ImageStore{separator}S3{separator}ServiceUrl"] = Endpoint.ToString(),
        [$"ImageStore{separator}S3{separator}Bucket"] = Bucket,
        [$"ImageStore{separator}S3{separator}Prefix"] = keyPrefix,
        [$"ImageStore{separator}S3{separator}ForcePathStyle"] = "true",
        [$"ImageStore{separator}S3{separator}AccessKeyId"] = AccessKeyId,
        [$"ImageStore{separator}S3{separator}SecretAccessKey"] = SecretAccessKey,
    };

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>One S3 server for a test class.</summary>
public sealed class S3ServerFixture : IAsyncLifetime
{
    private S3Server? _server;

    public S3Server Server => _server ?? throw new InvalidOperationException("not started");

    public async Task InitializeAsync() => _server = await S3Server.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
