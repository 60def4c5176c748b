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

    /// <summary>An S3-compatible object store (AWS S3, MinIO and the like): see <see cref="ImageStoreOptions.S3"/>.</summary>
    S3,
}

public sealed class ImageStoreOptions
{
    public const string SectionName = "ImageStore";

    /// <summary>Postgres (default), S3 or Local.</summary>
    public ImageStoreBackend Backend { get; set; } = ImageStoreBackend.Postgres;

    /// <summary>Root folder of the Local backend; relative paths resolve against the working directory.</summary>
    [Required]
    public string Path { get; set; } = ".data/images";

    /// <summary>The S3 backend's bucket, endpoint and credentials.</summary>
    public S3StoreOptions S3 { get; set; } = new();

    /// <summary>How often each instance removes what interrupted writes left (temporary files, unfinished multipart uploads).</summary>
    [Range(1, 24 * 60)]
    public int StraySweepIntervalMinutes { get; set; } = 15;

    /// <summary>How old a leftover must be to be removed: far longer than any write takes.</summary>
    [Range(1, 7 * 24 * 60)]
    public int StrayAgeMinutes { get; set; } = 60;

    /// <summary>
    /// How long after its last put an image no result or job item names is kept (default 60): it
    /// must exceed the longest time from a put to the result or job that names it (a detection, a
    /// job submission's other uploads). Then the orphan sweep removes it (issue 20).
    /// </summary>
    [Range(1, 30 * 24 * 60)]
    public int OrphanGraceMinutes { get; set; } = 60;

    /// <summary>How often the orphan sweep runs (one instance at a time across the cluster; default 60).</summary>
    [Range(1, 24 * 60)]
    public int OrphanSweepIntervalMinutes { get; set; } = 60;

    /// <summary>Images the orphan sweep checks and removes per transaction (default 200): its row locks are held that long.</summary>
    [Range(1, 10_000)]
    public int OrphanSweepBatchSize { get; set; } = 200;

    /// <summary>The master key the tenants' image data keys are wrapped under.</summary>
    public ImageEncryptionOptions Encryption { get; set; } = new();
}

/// <summary>
/// Images are encrypted at rest with a data key per tenant; data keys are stored wrapped under
/// the master key given here (ADR 0011). Exactly one of <see cref="MasterKey"/> and
/// <see cref="MasterKeyFile"/>: 32 random bytes in base64 (<c>openssl rand -base64 32</c>).
/// </summary>
public sealed class ImageEncryptionOptions
{
    public string? MasterKey { get; set; }

    /// <summary>A file holding the master key in base64 (a mounted secret).</summary>
    public string? MasterKeyFile { get; set; }

    /// <summary>The master key's name, stored beside each data key it wraps; a new id for each new master key.</summary>
    public string MasterKeyId { get; set; } = "1";

    /// <summary>Earlier master keys by id (base64), kept until <c>images rewrap-keys</c> has moved every data key off them.</summary>
    public Dictionary<string, string> RetiredMasterKeys { get; } = new(StringComparer.Ordinal);

    /// <summary>The active master key's base64 text, from the setting or the file.</summary>
    public string ReadMasterKey() => !string.IsNullOrEmpty(MasterKey) ? MasterKey : File.ReadAllText(MasterKeyFile!).Trim();

    public static byte[] Decode(string base64)
    {
        var key = Convert.FromBase64String(base64.Trim());
        return key.Length == 32 ? key : throw new FormatException("A master key is 32 bytes.");
    }

    /// <summary>Never print a key, whoever logs the options.</summary>
    public override string ToString() => $"master key id '{MasterKeyId}' ({(MasterKeyFile is null ? "from configuration" : "from " + MasterKeyFile)}), {RetiredMasterKeys.Count} retired";
}

/// <summary>
/// One bucket and key prefix in one region: a deployment in several regions configures each
/// region's instances with that region's bucket, so images stay in the region that received them.
/// </summary>
public sealed class S3StoreOptions
{
    /// <summary>Lowest part size S3 accepts for every part but the last.</summary>
    public const long MinPartBytes = 5 * 1024 * 1024;

    /// <summary>Endpoint of an S3-compatible service (MinIO, Ceph RGW ...); empty for AWS S3 in <see cref="Region"/>.</summary>
    public string? ServiceUrl { get; set; }

    public string Region { get; set; } = "us-east-1";

    public string Bucket { get; set; } = "";

    /// <summary>Prefix of every key (ends with '/'); keys are prefix + ab/ + sha256.</summary>
    public string Prefix { get; set; } = "images/";

    /// <summary>Bucket in the path, not the host name (what most S3-compatible servers expect).</summary>
    public bool ForcePathStyle { get; set; }

    /// <summary>Static credentials; when both are empty the SDK's chain is used (AWS_* environment, profile, instance role).</summary>
    public string? AccessKeyId { get; set; }

    public string? SecretAccessKey { get; set; }

    /// <summary>Images at least this large go up in parts (several parts in flight, each retried alone).</summary>
    public long MultipartThresholdBytes { get; set; } = 16 * 1024 * 1024;

    public long PartBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Attempts after the first for a call that failed transiently (5xx, throttling, a dropped connection).</summary>
    public int MaxRetries { get; set; } = 3;

    /// <summary>Time limit of one attempt.</summary>
    public double AttemptTimeoutSeconds { get; set; } = 20;

    /// <summary>
    /// Passes a tenant erase makes, after the first, over objects the store refused to delete
    /// (per-key errors of DeleteObjects) before it fails the erase (default 4).
    /// </summary>
    public int EraseRetries { get; set; } = 4;

    /// <summary>Never print the secret, whoever logs the options.</summary>
    public override string ToString() =>
        $"S3 bucket '{Bucket}' prefix '{Prefix}' region '{Region}' endpoint '{ServiceUrl ?? "aws"}' key id '{(string.IsNullOrEmpty(AccessKeyId) ? "(chain)" : "***")}'";
}

/// <summary>Refuses a backend other instances cannot read when the deployment says there are several.</summary>
internal sealed class ImageStoreOptionsValidator(IOptions<DeploymentOptions> deployment) : IValidateOptions<ImageStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, ImageStoreOptions options)
    {
        var instances = deployment.Value.Instances;
        if (options.Backend == ImageStoreBackend.Local && instances > 1)
        {
            return ValidateOptionsResult.Fail(
                $"ImageStore:Backend is Local, a folder on this host, but Deployment:Instances is {instances}: the other instances could not read the images this one stores. Use ImageStore:Backend Postgres or S3.");
        }

        var failures = new List<string>();
        failures.AddRange(ValidateEncryption(options.Encryption));
        if (options.Backend == ImageStoreBackend.S3 && ValidateS3(options.S3) is { Failed: true } s3)
        {
            failures.AddRange(s3.Failures);
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }

    private static IEnumerable<string> ValidateEncryption(ImageEncryptionOptions encryption)
    {
        if (string.IsNullOrEmpty(encryption.MasterKey) == string.IsNullOrEmpty(encryption.MasterKeyFile))
        {
            yield return "Set exactly one of ImageStore:Encryption:MasterKey and ImageStore:Encryption:MasterKeyFile (32 random bytes in base64: openssl rand -base64 32); images are encrypted at rest.";
            yield break;
        }

        if (!string.IsNullOrEmpty(encryption.MasterKeyFile) && !File.Exists(encryption.MasterKeyFile))
        {
            yield return $"ImageStore:Encryption:MasterKeyFile {encryption.MasterKeyFile} does not exist.";
            yield break;
        }

        if (string.IsNullOrWhiteSpace(encryption.MasterKeyId) || encryption.RetiredMasterKeys.ContainsKey(encryption.MasterKeyId))
        {
            yield return "ImageStore:Encryption:MasterKeyId must be set and differ from every retired key's id.";
        }

        foreach (var (id, text) in encryption.RetiredMasterKeys.Append(new(encryption.MasterKeyId, encryption.ReadMasterKey())))
        {
            if (!IsKey(text))
            {
                // Names the key, never shows it.
                yield return $"The image master key '{id}' is not 32 bytes in base64.";
            }
        }
    }

    private static bool IsKey(string text)
    {
        try
        {
            ImageEncryptionOptions.Decode(text);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static ValidateOptionsResult ValidateS3(S3StoreOptions s3)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(s3.Bucket))
        {
            failures.Add("ImageStore:S3:Bucket is required for the S3 backend.");
        }

        if (!string.IsNullOrEmpty(s3.ServiceUrl) && !(Uri.TryCreate(s3.ServiceUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"))
        {
            failures.Add("ImageStore:S3:ServiceUrl must be an absolute http(s) URL.");
        }

        if (string.IsNullOrWhiteSpace(s3.Region))
        {
            failures.Add("ImageStore:S3:Region is required.");
        }

        if (s3.Prefix.Length > 0 && !s3.Prefix.EndsWith('/'))
        {
            failures.Add("ImageStore:S3:Prefix must be empty or end with '/'.");
        }

        if (string.IsNullOrEmpty(s3.AccessKeyId) != string.IsNullOrEmpty(s3.SecretAccessKey))
        {
            failures.Add("ImageStore:S3:AccessKeyId and SecretAccessKey are set together or not at all.");
        }

        if (s3.PartBytes < S3StoreOptions.MinPartBytes || s3.MultipartThresholdBytes < s3.PartBytes)
        {
            failures.Add($"ImageStore:S3:PartBytes must be at least {S3StoreOptions.MinPartBytes} and MultipartThresholdBytes at least PartBytes.");
        }

        if (s3.MaxRetries is < 0 or > 10 || s3.AttemptTimeoutSeconds is <= 0 or > 600)
        {
            failures.Add("ImageStore:S3:MaxRetries is 0 to 10 and AttemptTimeoutSeconds 0 to 600.");
        }

        if (s3.EraseRetries is < 0 or > 20)
        {
            failures.Add("ImageStore:S3:EraseRetries is 0 to 20.");
        }

        return failures.Count > 0 ? ValidateOptionsResult.Fail(failures) : ValidateOptionsResult.Success;
    }
}
