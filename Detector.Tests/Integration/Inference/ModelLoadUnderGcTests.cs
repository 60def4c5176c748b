using Detector.Modules.Inference;
using Detector.Modules.Inference.Runtime;
using Detector.Modules.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit.Abstractions;

namespace Detector.Tests.Integration.Inference;

/// <summary>
/// Issue 19's crash: loading a model probes it with one run, and the run options of that probe
/// were referenced by nothing but the native call, so a collection could finalize them (freeing
/// the native object) while the run still read them: a segfault in libonnxruntime on a
/// thread-pool thread, at random, whenever test hosts loaded models while others collected.
/// Loading on several threads with collections running reproduced it within seconds; a
/// regression ends this test's process instead of failing an assertion.
/// </summary>
[Collection(Detector.Tests.Integration.IsolatedCollection.Name)]
public sealed class ModelLoadUnderGcTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Models_load_and_unload_on_several_threads_while_collections_run_and_the_process_survives()
    {
        var catalog = new ModelCatalog(
            Options.Create(new ModelsOptions { Directory = TestPaths.Models, ManifestDirectory = Path.Combine(AppContext.BaseDirectory, "model-manifests") }),
            NullLogger<ModelCatalog>.Instance);
        var options = new InferenceOptions();
        var until = DateTime.UtcNow + Duration;
        var loads = 0;
        var collector = Task.Run(async () =>
        {
            while (DateTime.UtcNow < until)
            {
                GC.Collect();
                await Task.Delay(5);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 3).Select(worker => Task.Run(() =>
        {
            for (var i = worker; DateTime.UtcNow < until; i++)
            {
                using var runner = OrtModelRunner.Load(catalog.Models[i % catalog.Models.Count], options, NullLogger.Instance);
                Interlocked.Increment(ref loads);
            }
        })));
        await collector;

        output.WriteLine($"{loads} model loads in {Duration.TotalSeconds} s with collections running");
        Assert.True(loads >= 3 * catalog.Models.Count, $"only {loads} loads ran");
    }
}
