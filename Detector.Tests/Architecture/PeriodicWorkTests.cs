namespace Detector.Tests.Architecture;

/// <summary>
/// Hangfire is the Jobs module's queue, not the service's scheduler: periodic work runs on hosted
/// timers (ADR 0015), so no other module depends on Hangfire being registered.
/// </summary>
public sealed class PeriodicWorkTests
{
    [Fact]
    public void Only_the_jobs_module_references_hangfire()
    {
        var referencing = ModuleMap.Assemblies
            .Where(a => a.Value.GetReferencedAssemblies().Any(r => r.Name!.StartsWith("Hangfire", StringComparison.Ordinal)))
            .Select(a => a.Key)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(["Jobs"], referencing);
    }
}
