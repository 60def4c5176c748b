using Detector.Modules.Preprocessing;
using Detector.Modules.Preprocessing.Contracts;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Detector.Tests.Unit.Preprocessing;

public sealed class PreprocessingModuleTests
{
    [Fact]
    public void AddPreprocessing_registers_one_shared_preprocessor_with_the_default_pixel_limit()
    {
        using var provider = Build([]);

        var first = provider.GetRequiredService<IImagePreprocessor>();
        var second = provider.GetRequiredService<IImagePreprocessor>();

        Assert.Same(first, second);
        Assert.Equal(50_000_000, provider.GetRequiredService<IOptions<PreprocessingOptions>>().Value.MaxPixels);
    }

    [Fact]
    public void Pixel_limit_comes_from_the_Preprocessing_section()
    {
        using var provider = Build(new() { ["Preprocessing:MaxPixels"] = "1000", ["Preprocessing:ScaledJpegDecode"] = "false" });

        var options = provider.GetRequiredService<IOptions<PreprocessingOptions>>().Value;

        Assert.Equal((1000, false), (options.MaxPixels, options.ScaledJpegDecode));
    }

    [Fact]
    public void Non_positive_pixel_limit_fails_validation()
    {
        using var provider = Build(new() { ["Preprocessing:MaxPixels"] = "0" });

        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<PreprocessingOptions>>().Value);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddPreprocessing();
        return builder.Services.BuildServiceProvider();
    }
}
