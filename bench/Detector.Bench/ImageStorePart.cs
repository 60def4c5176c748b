using System.Diagnostics;
using System.Text.Json.Nodes;
using Detector.Modules.Common.Database;
using Detector.Modules.Images;
using Detector.Modules.Images.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Detector.Bench;

/// <summary>
/// Part 10: what each image store backend adds to a request. The Images module as the service
/// registers it, one backend at a time, on the benchmark's database; every put stores bytes the
/// store has not seen (a photo with a counter appended, or fresh random bytes), as a new upload
/// does. A sync request waits for one put, a job item for one get. The S3 backend talks to the
/// s3rver that bench/run.sh starts on loopback (BENCH_S3_URL): a local stand-in, so its numbers
/// are the backend's own cost (client, signing, HTTP), not a network's.
/// </summary>
internal static class ImageStorePart
{
    private static readonly Guid Tenant = Guid.NewGuid();

    // One master key for the run: every backend's host unwraps the one tenant's data key.
    private static readonly string MasterKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    public static async Task<JsonObject> RunAsync(BenchContext ctx, string dataDir, byte[] photo)
    {
        var result = new JsonObject();
        var s3 = Environment.GetEnvironmentVariable("BENCH_S3_URL");
        if (string.IsNullOrEmpty(s3))
        {
            Log.Info("part 10: BENCH_S3_URL is not set (bench/run.sh starts s3rver); the S3 backend is not measured");
            result["s3"] = "not measured: BENCH_S3_URL unset";
        }

        foreach (var backend in string.IsNullOrEmpty(s3) ? new[] { "Postgres", "Local" } : ["Postgres", "S3", "Local"])
        {
            using var host = await BuildAsync(ctx, backend, Path.Combine(dataDir, "image-store-" + backend.ToLowerInvariant()), s3);
            var store = host.Services.GetRequiredService<IImageStore>();
            var sizes = new JsonObject();
            foreach (var (label, count, make) in new (string, int, Func<int, byte[]>)[]
            {
                ("150KB", ctx.Quick ? 100 : 300, i => Photo(photo, 150 * 1024, i)),
                ("3MB", ctx.Quick ? 20 : 60, i => Random(3 * 1024 * 1024, i)),
            })
            {
                await store.PutAsync(Tenant, make(-1), CancellationToken.None); // warm-up: connections, folders
                var puts = new List<double>();
                var gets = new List<double>();
                for (var i = 0; i < count; i++)
                {
                    var bytes = make(i);
                    var start = Stopwatch.GetTimestamp();
                    var stored = await store.PutAsync(Tenant, bytes, CancellationToken.None);
                    puts.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    start = Stopwatch.GetTimestamp();
                    var read = await store.GetAsync(Tenant, stored.Sha256, CancellationToken.None);
                    gets.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (read is null || read.Length != bytes.Length)
                    {
                        throw new InvalidOperationException($"{backend} lost {stored.Sha256}");
                    }
                }

                sizes[label] = new JsonObject
                {
                    ["count"] = count,
                    ["put_p50_ms"] = Stats.N(Stats.Percentile(puts, 50), 2),
                    ["put_p99_ms"] = Stats.N(Stats.Percentile(puts, 99), 2),
                    ["get_p50_ms"] = Stats.N(Stats.Percentile(gets, 50), 2),
                    ["get_p99_ms"] = Stats.N(Stats.Percentile(gets, 99), 2),
                };
                Log.Info($"part 10: {backend,-8} {label,-5}: put p50 {Stats.Percentile(puts, 50),6:F2} p99 {Stats.Percentile(puts, 99),6:F2} ms; get p50 {Stats.Percentile(gets, 50),6:F2} p99 {Stats.Percentile(gets, 99),6:F2} ms ({count} images)");
            }

            result[backend.ToLowerInvariant()] = sizes;
        }

        return result;
    }

    private static async Task<IHost> BuildAsync(BenchContext ctx, string backend, string folder, string? s3)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], DisableDefaults = true });
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Database:MigrationsPath"] = Path.Combine(ctx.Root, "db"),
            ["ImageStore:Backend"] = backend,
            ["ImageStore:Path"] = folder,
            ["ImageStore:Encryption:MasterKey"] = MasterKey,
            ["ImageStore:S3:ServiceUrl"] = s3,
            ["ImageStore:S3:Bucket"] = Environment.GetEnvironmentVariable("BENCH_S3_BUCKET") ?? "detector-bench",
            ["ImageStore:S3:Prefix"] = $"bench-{DateTime.UtcNow:yyyyMMddHHmmss}/",
            ["ImageStore:S3:ForcePathStyle"] = "true",
            // s3rver's fixed account; a real store takes its credentials from the environment.
            ["ImageStore:S3:AccessKeyId"] = "S3RVER",
            ["ImageStore:S3:SecretAccessKey"] = "S3RVER",
        });
        builder.Logging.ClearProviders();
        builder.AddDatabase();
        builder.AddImages();
        var host = builder.Build();
        await host.Services.GetRequiredService<MigrationRunner>().MigrateAsync(CancellationToken.None);
        return host;
    }

    /// <summary>A real photo's bytes, repeated to <paramref name="length"/>, ending in a counter so every call is new content.</summary>
    private static byte[] Photo(byte[] photo, int length, int i)
    {
        var bytes = new byte[length];
        for (var o = 0; o < length; o += photo.Length)
        {
            photo.AsSpan(0, Math.Min(photo.Length, length - o)).CopyTo(bytes.AsSpan(o));
        }

        BitConverter.TryWriteBytes(bytes.AsSpan(length - 8), DateTime.UtcNow.Ticks ^ i);
        return bytes;
    }

    private static byte[] Random(int length, int i)
    {
        var bytes = new byte[length];
        new Random(HashCode.Combine(i, Environment.TickCount64)).NextBytes(bytes);
        return bytes;
    }
}
