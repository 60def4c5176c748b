using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Detector.Modules.Common;
using Detector.Tests.Unit.Preprocessing;
using SkiaSharp;
using Xunit.Abstractions;

namespace Detector.Tests.Integration;

/// <summary>
/// Mutated JPEG, PNG, WebP, GIF and BMP files: through the preprocessor, nothing but a problem
/// (a 4xx with its code) may come out, and memory stays bounded; over HTTP, never a 500 and the
/// service stays up. CI runs DETECTOR_FUZZ_CASES (default 4,000) and DETECTOR_FUZZ_HTTP_CASES
/// (default 400); the issue's run is 100,000 and 5,000 (docs/benchmarks.md).
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class FuzzTests(DetectorApiFactory factory, ITestOutputHelper output)
{
    internal static int Cases(string variable, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(variable), out var n) && n > 0 ? n : fallback;

    [Fact]
    public async Task Mutated_images_over_http_get_a_detection_or_a_4xx_problem_never_a_500_and_the_service_stays_up()
    {
        var cases = Cases("DETECTOR_FUZZ_HTTP_CASES", 400);
        var seeds = Seeds();
        var (client, tenant) = await factory.CreateTenantClientAsync("fuzz");
        using (var admin = factory.CreateAdminClient())
        {
            // A plan that does not rate-limit the run: every case reaches the decoder.
            using var plan = await admin.PutAsJsonAsync($"/v1/admin/tenants/{tenant}/plan", new { requests_per_second = 100_000, burst = 100_000, daily_images = 10_000_000, monthly_images = 10_000_000 });
            plan.EnsureSuccessStatusCode();
        }

        using (client)
        {
            var statuses = new ConcurrentDictionary<string, int>();
            var bad = new ConcurrentQueue<string>();
            var next = -1;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < cases)
                {
                    var (format, seed) = seeds[i % seeds.Count];
                    using var response = await client.PostAsync("/v1/detect?max_detections=5", DetectorApiFactory.ImageForm(Mutate(seed, new Random(1_000_000 + i)), "f." + format, "application/octet-stream"));
                    var status = (int)response.StatusCode;
                    var problem = response.Content.Headers.ContentType?.MediaType == ProblemWriter.ContentType;
                    statuses.AddOrUpdate($"{status}{(problem ? " problem" : "")}", 1, (_, n) => n + 1);
                    var fine = status == 200 || (status is >= 400 and < 500 && problem) || (status == 503 && problem && response.Headers.RetryAfter is not null);
                    if (!fine)
                    {
                        bad.Enqueue($"case {i} ({format}): {status} {await response.Content.ReadAsStringAsync()}");
                    }
                }
            })));

            output.WriteLine($"{cases} mutated images over HTTP in {clock.Elapsed.TotalSeconds:F1} s: {string.Join(", ", statuses.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} x{kv.Value}"))}");
            Assert.True(bad.IsEmpty, $"{bad.Count} answers were neither a detection nor a clean problem:\n" + string.Join("\n", bad.Take(20)));
            using var live = await client.GetAsync("/health/live");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }
    }

    /// <summary>Seeds of every accepted format, small enough that a case costs milliseconds.</summary>
    internal static List<(string Format, byte[] Bytes)> Seeds()
    {
        var seeds = new List<(string, byte[])>();
        foreach (var path in Jobs.JobsTestKit.CocoFiles.Take(4))
        {
            using var original = SKBitmap.Decode(path);
            using var small = original.Resize(new SKImageInfo(160, 120), new SKSamplingOptions(SKFilterMode.Linear));
            seeds.Add(("jpg", File.ReadAllBytes(path)));
            seeds.Add(("png", TestImages.Encode(small, SKEncodedImageFormat.Png)));
            seeds.Add(("webp", TestImages.Encode(small, SKEncodedImageFormat.Webp)));
            seeds.Add(("bmp", TestImages.Bmp(small)));
        }

        seeds.Add(("gif", TestImages.Gif(64, 48, [SKColors.Red, SKColors.Green, SKColors.Blue, SKColors.White], (x, y) => (x / 8 + y / 8) % 4)));
        return seeds;
    }

    /// <summary>What damaged uploads look like: flipped bytes, truncation, inserted junk, a header spliced onto another body, huge dimensions.</summary>
    internal static byte[] Mutate(byte[] seed, Random random)
    {
        var bytes = seed.ToArray();
        switch (random.Next(6))
        {
            case 0:
                for (var k = random.Next(1, 16); k > 0; k--)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }

                return bytes;
            case 1:
                return bytes[..random.Next(1, bytes.Length)];
            case 2:
                var at = random.Next(bytes.Length);
                var junk = new byte[random.Next(1, 512)];
                random.NextBytes(junk);
                return [.. bytes[..at], .. junk, .. bytes[at..]];
            case 3:
                // Header bytes early in the file are where lengths and dimensions live.
                for (var k = random.Next(1, 6); k > 0; k--)
                {
                    bytes[random.Next(Math.Min(bytes.Length, 64))] = (byte)random.Next(256);
                }

                return bytes;
            case 4:
                var cut = random.Next(bytes.Length);
                return [.. bytes[..Math.Min(cut, 32)], .. bytes[cut..]];
            default:
                // 0xFF runs: maximal lengths and dimensions wherever they land.
                var start = random.Next(bytes.Length);
                bytes.AsSpan(start, Math.Min(bytes.Length - start, random.Next(2, 9))).Fill(0xFF);
                return bytes;
        }
    }

    internal static void InterlockedMax(ref long target, long value)
    {
        long current;
        while (value > (current = Interlocked.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}

/// <summary>
/// The preprocessor half of the fuzz run, alone in its collection: its memory bound is read from
/// the test process's RSS, which other test classes' hosts would move if they ran beside it.
/// </summary>
[Collection(IsolatedCollection.Name)]
public sealed class PreprocessorFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Mutated_images_through_the_preprocessor_raise_only_problems_and_memory_stays_bounded()
    {
        var cases = FuzzTests.Cases("DETECTOR_FUZZ_CASES", 4_000);
        var seeds = FuzzTests.Seeds();
        var preprocessor = TestImages.Preprocessor();
        var outcomes = new ConcurrentDictionary<string, int>();
        var failures = new ConcurrentQueue<string>();
        var rssBefore = Process.GetCurrentProcess().WorkingSet64;
        long rssPeak = rssBefore;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, cases, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, () => TestImages.Tensor(TestImages.Yolox), (i, _, tensor) =>
        {
            var (format, seed) = seeds[i % seeds.Count];
            var mutated = FuzzTests.Mutate(seed, new Random(i));
            try
            {
                preprocessor.Preprocess(mutated, TestImages.Yolox, tensor);
                outcomes.AddOrUpdate($"{format}: ok", 1, (_, n) => n + 1);
            }
            catch (DomainException p) when (p.Status is >= 400 and < 500)
            {
                outcomes.AddOrUpdate($"{format}: {p.Code}", 1, (_, n) => n + 1);
            }
            catch (Exception ex)
            {
                failures.Enqueue($"case {i} ({format}): {ex.GetType().Name}: {ex.Message}");
            }

            if (i % 500 == 0)
            {
                var rss = Process.GetCurrentProcess().WorkingSet64;
                FuzzTests.InterlockedMax(ref rssPeak, rss);
            }

            return tensor;
        }, _ => { });

        GC.Collect();
        var rssAfter = Process.GetCurrentProcess().WorkingSet64;
        output.WriteLine($"{cases} mutated images in {clock.Elapsed.TotalSeconds:F1} s; RSS {rssBefore >> 20} MiB before, peak {rssPeak >> 20} MiB, {rssAfter >> 20} MiB after");
        foreach (var (outcome, count) in outcomes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"  {outcome}: {count}");
        }

        Assert.True(failures.IsEmpty, $"{failures.Count} cases raised something other than a problem:\n" + string.Join("\n", failures.Take(20)));
        Assert.True(outcomes.Keys.Any(k => k.EndsWith(": ok", StringComparison.Ordinal)) && outcomes.Keys.Any(k => !k.EndsWith(": ok", StringComparison.Ordinal)), "the mutations produce both decodable and refused images");
        Assert.True(rssPeak - rssBefore < 512L << 20, $"memory grew by {(rssPeak - rssBefore) >> 20} MiB");
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class IsolatedCollection
{
    public const string Name = "isolated";
}
