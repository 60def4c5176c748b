using Microsoft.Extensions.DependencyInjection.Extensions;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.CopyImages;
using Detector.Modules.Images.DeleteImage;
using Detector.Modules.Images.SealLegacy;
using Detector.Modules.Images.Encryption;
using Amazon.S3;
using Detector.Modules.Images.Storage;
using Detector.Modules.Images.Storage.S3;
using Detector.Modules.Images.Uploads;
using Detector.Modules.Images.Uploads.Metadata;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Microsoft.Extensions.Options;

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
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IValidateOptions<ImageStoreOptions>, ImageStoreOptionsValidator>();
        builder.Services.AddSingleton<PostgresImageStore>();
        builder.Services.AddSingleton<FileImageStore>();
        builder.Services.AddSingleton<IAmazonS3>(sp => S3Client.Create(sp.GetRequiredService<IOptions<ImageStoreOptions>>()));
        builder.Services.AddSingleton<S3ImageStore>();
        builder.Services.AddResiliencePipeline(S3Resilience.PipelineName, (pipeline, context) => S3Resilience.Configure(
            pipeline,
            context.ServiceProvider.GetRequiredService<IOptions<ImageStoreOptions>>().Value.S3,
            context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger<S3ImageStore>()));
        builder.Services.AddSingleton<IImageBackend>(sp => sp.GetRequiredService<IOptions<ImageStoreOptions>>().Value.Backend switch
        {
            ImageStoreBackend.Local => sp.GetRequiredService<FileImageStore>(),
            ImageStoreBackend.S3 => sp.GetRequiredService<S3ImageStore>(),
            _ => sp.GetRequiredService<PostgresImageStore>(),
        });
        builder.Services.AddSingleton<IKeyWrapper, MasterKeyWrapper>();
        builder.Services.AddSingleton<TenantKeyStore>();
        builder.Services.AddSingleton<IImageStore, ImageStore>();
        builder.Services.AddSingleton<ImageCopier>();
        builder.Services.AddSingleton<LegacySealer>();
        builder.Services.AddSingleton<StraySweep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StraySweep>());
        builder.Services.AddHealthChecks().AddCheck<ImageStoreHealthCheck>("image-store", tags: ["ready"]);
        builder.Services.AddSingleton<IUploadReader, UploadReader>();
        builder.Services.AddSingleton<IImageSanitizer, MetadataSanitizer>();
        return builder;
    }

    /// <summary>
    /// `images copy ...`: copies every image from one backend to another, verifying each by its
    /// hash (moving from the local folder to PostgreSQL, say). `images rewrap-keys`: moves every
    /// tenant's data key under the active master key (master-key rotation). `images seal-legacy`: encrypts the plaintext images stored before encryption at rest. Returns the exit code.
    /// </summary>
    public static async Task<int> RunImagesCommandAsync(IServiceProvider services, string[] args, TextWriter output, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is ["images", "rewrap-keys"])
        {
            var moved = await services.GetRequiredService<TenantKeyStore>().RewrapAllAsync(ct);
            await output.WriteLineAsync($"images rewrap-keys: {moved} data key(s) now wrapped under master key '{services.GetRequiredService<IKeyWrapper>().ActiveKeyId}'; no image was rewritten");
            return 0;
        }

        if (args is ["images", "seal-legacy"])
        {
            var summary = await services.GetRequiredService<LegacySealer>().SealAsync(ct);
            await output.WriteLineAsync($"images seal-legacy: {summary.Sealed} plaintext image(s) sealed, {summary.AlreadySealed} already sealed, {summary.Mismatched} not matching their address (left, see the log)");
            return summary.Mismatched == 0 ? 0 : 1;
        }

        return await CopyCommand.RunAsync(services, args, output, ct);
    }

    /// <summary>Images are reached through results and jobs; a tenant can delete one it stored.</summary>
    public static IEndpointRouteBuilder MapImagesEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/images").WithTags("Images").RequireAuthorization(TenantClaims.TenantPolicy).RequireRateLimiting(TenantClaims.RateLimitPolicy);
        group.MapDelete("/{sha256}", DeleteImageEndpoint.Handle)
            .Audited("image.delete", "sha256")
            .WithName("DeleteImage")
            .WithSummary("Deletes one stored image of the calling tenant by its SHA-256 (results detected on it stay).")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}
