namespace Detector.Tests.Architecture;

/// <summary>
/// Pixels are decoded in one module: Preprocessing owns SkiaSharp (its decoder, its bounds on
/// decode cost), and a module that needs an image's pixels or size asks its contracts. The
/// compiler lets any module that names the package use it, so this is checked on what the module
/// assemblies were compiled against.
/// </summary>
public sealed class PixelDecodingTests
{
    [Fact]
    public void SkiaSharp_is_referenced_by_Preprocessing_only()
    {
        var users = ModuleMap.Assemblies
            .Where(m => m.Value.GetReferencedAssemblies().Any(r => r.Name!.StartsWith("SkiaSharp", StringComparison.Ordinal)))
            .Select(m => m.Key)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(["Preprocessing"], users);
    }
}
