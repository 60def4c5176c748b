using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Images.Storage.S3;

/// <summary>
/// Builds the one <see cref="AmazonS3Client"/> of the S3 backend from configuration. The SDK's own
/// retries are off: every retry goes through the resilience pipeline, where it is counted and
/// logged once. Checksums are computed only where the API requires them, so S3-compatible servers
/// without the newer checksum headers work; the backend sends each image's SHA-256 itself.
/// </summary>
internal static class S3Client
{
    public static AmazonS3Client Create(IOptions<ImageStoreOptions> options)
    {
        var s3 = options.Value.S3;
        var config = new AmazonS3Config
        {
            ForcePathStyle = s3.ForcePathStyle,
            MaxErrorRetry = 0,
            Timeout = TimeSpan.FromSeconds(s3.AttemptTimeoutSeconds),
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (string.IsNullOrEmpty(s3.ServiceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(s3.Region);
        }
        else
        {
            config.ServiceURL = s3.ServiceUrl;
            config.AuthenticationRegion = s3.Region;
        }

        return string.IsNullOrEmpty(s3.AccessKeyId)
            ? new AmazonS3Client(config)
            : new AmazonS3Client(new BasicAWSCredentials(s3.AccessKeyId, s3.SecretAccessKey), config);
    }
}
