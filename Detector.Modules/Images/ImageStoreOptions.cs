using System.ComponentModel.DataAnnotations;
using Detector.Modules.Common;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images;

/// <summary>Where the image store keeps the bytes.</summary>
public enum ImageStoreBackend
{
    /// <summary>The Images module's schema in the service's PostgreSQL: every instance reads what any stored.</summary>
    Postgres,

    /// <summary>A folder on this host: a single-node developer set-up only.</summary>
    Local,
}

public sealed class ImageStoreOptions
{
    public const string SectionName = "ImageStore";

    /// <summary>Postgres (default) or Local.</summary>
    public ImageStoreBackend Backend { get; set; } = ImageStoreBackend.Postgres;

    /// <summary>Root folder of the Local backend; relative paths resolve against the working directory.</summary>
    [Required]
    public string Path { get; set; } = ".data/images";
}

/// <summary>Refuses a backend other instances cannot read when the deployment says there are several.</summary>
internal sealed class ImageStoreOptionsValidator(IOptions<DeploymentOptions> deployment) : IValidateOptions<ImageStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, ImageStoreOptions options)
    {
        var instances = deployment.Value.Instances;
        return options.Backend == ImageStoreBackend.Local && instances > 1
            ? ValidateOptionsResult.Fail(
                $"ImageStore:Backend is Local, a folder on this host, but Deployment:Instances is {instances}: the other instances could not read the images this one stores. Use ImageStore:Backend Postgres.")
            : ValidateOptionsResult.Success;
    }
}
