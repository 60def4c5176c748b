using Prometheus;

namespace Detector.Modules.Images;

/// <summary>Prometheus series of the image store, by backend (postgres, s3, local).</summary>
internal static class ImagesMetrics
{
    public static readonly Counter Bytes = Metrics.CreateCounter(
        "detector_image_store_bytes_total", "Image bytes written to and read from the image store, by backend and direction (written, read).", new CounterConfiguration { LabelNames = ["backend", "direction"] });

    public static readonly Histogram Seconds = Metrics.CreateHistogram(
        "detector_image_store_seconds", "Latency of image store calls that succeeded, by backend and operation (put, get).", new HistogramConfiguration
        {
            LabelNames = ["backend", "operation"],
            Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14),
        });

    public static readonly Counter StraysRemoved = Metrics.CreateCounter(
        "detector_image_store_strays_removed_total", "Leftovers of interrupted writes (temporary files, unfinished multipart uploads) removed, by backend.", new CounterConfiguration { LabelNames = ["backend"] });

    public static readonly Counter Errors = Metrics.CreateCounter(
        "detector_image_store_errors_total", "Image store calls that failed, by backend and operation.", new CounterConfiguration { LabelNames = ["backend", "operation"] });

    public static readonly Counter Retries = Metrics.CreateCounter(
        "detector_image_store_retries_total", "Image store calls retried after a transient failure (throttling, 5xx, a dropped connection), by backend.", new CounterConfiguration { LabelNames = ["backend"] });

    public static readonly Counter Parts = Metrics.CreateCounter(
        "detector_image_store_parts_total", "Parts uploaded for images at or above the multipart threshold, by backend.", new CounterConfiguration { LabelNames = ["backend"] });

    public static readonly Counter MetadataBytesRemoved = Metrics.CreateCounter(
        "detector_upload_metadata_bytes_removed_total", "Bytes of metadata (EXIF, GPS, XMP, IPTC, comments, trailing data) removed from uploads before they were decoded or stored.");

    public static readonly Counter Deleted = Metrics.CreateCounter(
        "detector_image_store_deleted_total", "Images deleted (on request, or left by a refused upload), by backend.", new CounterConfiguration { LabelNames = ["backend"] });

    public static readonly Counter Misses = Metrics.CreateCounter(
        "detector_image_store_misses_total", "Reads of an address the store does not hold (image_missing for a job item), by backend.", new CounterConfiguration { LabelNames = ["backend"] });
}
