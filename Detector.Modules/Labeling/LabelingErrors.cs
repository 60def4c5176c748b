namespace Detector.Modules.Labeling;

/// <summary>The labeling API's stable problem codes (besides Common's validation_failed, not_found, unauthorized, forbidden).</summary>
internal static class LabelingErrors
{
    /// <summary>detection_index names no detection of the result.</summary>
    public const string DetectionNotFound = "feedback_detection_not_found";

    /// <summary>A label that is not a class of the model version that served the result (or the item).</summary>
    public const string UnknownLabel = "unknown_label";

    /// <summary>A box reaching outside the image.</summary>
    public const string BoxOutOfBounds = "box_out_of_bounds";

    /// <summary>Labels for an item that is no longer open, or already labeled by this labeler.</summary>
    public const string ItemNotOpen = "labeling_item_not_open";

    /// <summary>A review of an item that is not disputed.</summary>
    public const string ItemNotDisputed = "labeling_item_not_disputed";

    /// <summary>A grant to a labeler that does not exist.</summary>
    public const string LabelerNotFound = "labeler_not_found";
}
