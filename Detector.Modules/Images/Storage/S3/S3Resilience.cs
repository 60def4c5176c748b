using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Detector.Modules.Images.Storage.S3;

/// <summary>
/// The S3 backend's resilience pipeline: a time limit per attempt, and retries with jittered
/// exponential backoff for what a retry can fix (throttling, 5xx, a dropped connection, an attempt
/// that timed out). Every call of the backend is idempotent (content-addressed keys), so each
/// can be retried as a whole.
/// </summary>
internal static partial class S3Resilience
{
    public const string PipelineName = "images-s3";

    public static void Configure(ResiliencePipelineBuilder builder, S3StoreOptions s3, ILogger logger) => builder
        .AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(1, s3.MaxRetries),
            ShouldHandle = args => ValueTask.FromResult(s3.MaxRetries > 0 && args.Outcome.Exception is { } ex && IsTransient(ex)),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                ImagesMetrics.Retries.WithLabels("s3").Inc();
                LogRetry(logger, args.AttemptNumber + 1, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception!);
                return ValueTask.CompletedTask;
            },
        })
        .AddTimeout(TimeSpan.FromSeconds(s3.AttemptTimeoutSeconds));

    public static bool IsTransient(Exception ex) => ex switch
    {
        AmazonS3Exception s3 => (int)s3.StatusCode >= 500 || s3.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout
            || s3.ErrorCode is "SlowDown" or "RequestTimeout" or "InternalError",
        AmazonServiceException service => service.InnerException is HttpRequestException or IOException or TimeoutException,
        HttpRequestException or IOException or TimeoutRejectedException or TimeoutException => true,
        _ => false,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Image store S3 call failed transiently; attempt {Attempt} in {DelayMs:F0} ms")]
    private static partial void LogRetry(ILogger logger, int attempt, double delayMs, Exception exception);
}
