using System.ComponentModel.DataAnnotations;

namespace Detector.Modules.Images;

public sealed class ImageStoreOptions
{
    public const string SectionName = "ImageStore";

    /// <summary>Root folder of the content-addressed image store; relative paths resolve against the working directory.</summary>
    [Required]
    public string Path { get; set; } = ".data/images";
}
