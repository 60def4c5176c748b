using Detector.Modules.Common;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.Storage;
using Detector.Modules.Images.Uploads;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Images;

/// <summary>
/// Uploaded images: reading them out of request bodies within their limits, and the store that
/// keeps their bytes under their content address. Later their encryption and deletion live here.
/// </summary>
public static class ImagesModule
{
    public static IHostApplicationBuilder AddImages(this IHostApplicationBuilder builder)
    {
        builder.Services.AddValidatedOptions<ImageStoreOptions>(ImageStoreOptions.SectionName);
        builder.Services.AddSingleton<IImageStore, FileImageStore>();
        builder.Services.AddSingleton<IUploadReader, UploadReader>();
        return builder;
    }

    /// <summary>No endpoints yet: images are reached through results and jobs.</summary>
    public static IEndpointRouteBuilder MapImagesEndpoints(this IEndpointRouteBuilder app) => app;
}
