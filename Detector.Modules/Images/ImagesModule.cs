using Microsoft.Extensions.DependencyInjection.Extensions;
using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Images.Contracts;
using Detector.Modules.Images.CopyImages;
using Detector.Modules.Images.DeleteImage;
using Detector.Modules.Images.IndexImages;
using Detector.Modules.Images.RewrapKeys;
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
/// Uploaded images: reading them out of request bodies within their limits, the store that keeps
/// their bytes under their content address, encrypted per tenant, their deletion by their tenant,
/// and the store's maintenance commands (copy, index, seal-legacy, rewrap-keys).
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
        builder.Services.AddSingleton<ImageIndex>();
        builder.Services.AddSingleton<IImageStore, ImageStore>();
        builder.Services.AddSingleton<ITenantRegionalData, RegionalImages>();
        builder.Services.AddSingleton<ImageCopier>();
        builder.Services.AddSingleton<CopyImagesHandler>();
        builder.Services.AddSingleton<DeleteImageHandler>();
        builder.Services.AddSingleton<IndexImagesHandler>();
        builder.Services.AddSingleton<SealLegacyHandler>();
        builder.Services.AddSingleton<RewrapKeysHandler>();
        builder.Services.AddSingleton<StraySweep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<StraySweep>());
        builder.Services.AddSingleton<OrphanSweep>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OrphanSweep>());
        builder.Services.AddHealthChecks().AddCheck<ImageStoreHealthCheck>("image-store", tags: ["ready"]);
        builder.Services.AddSingleton<IUploadReader, UploadReader>();
        builder.Services.AddSingleton<IImageSanitizer, MetadataSanitizer>();
        return builder;
    }

    /// <summary>
    /// `images copy`: copies every image from one backend (postgres, s3 or local) to another,
    /// verifying each by its hash (moving from the local folder to PostgreSQL, say). Returns the
    /// exit code: 0 all copied and verified, 1 any corrupt or failed, 2 stores that cannot be copied between.
    /// </summary>
    public static Task<int> CopyImagesAsync(IServiceProvider services, string from, string? fromPath, string to, string? toPath, int parallel, TextWriter output, CancellationToken ct) =>
        services.GetRequiredService<CopyImagesHandler>().HandleAsync(from, fromPath, to, toPath, parallel, output, ct);

    /// <summary>`images index`: adds the images a backend holds to the index the orphan sweep works from. Returns the exit code.</summary>
    public static Task<int> IndexImagesAsync(IServiceProvider services, TextWriter output, CancellationToken ct) =>
        services.GetRequiredService<IndexImagesHandler>().HandleAsync(output, ct);

    /// <summary>`images seal-legacy`: encrypts the plaintext images stored before encryption at rest. Returns the exit code (1: some did not match their address).</summary>
    public static Task<int> SealLegacyAsync(IServiceProvider services, TextWriter output, CancellationToken ct) =>
        services.GetRequiredService<SealLegacyHandler>().HandleAsync(output, ct);

    /// <summary>`images rewrap-keys`: moves every tenant's data key under the active master key (master-key rotation). Returns the exit code.</summary>
    public static Task<int> RewrapKeysAsync(IServiceProvider services, TextWriter output, CancellationToken ct) =>
        services.GetRequiredService<RewrapKeysHandler>().HandleAsync(output, ct);

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
