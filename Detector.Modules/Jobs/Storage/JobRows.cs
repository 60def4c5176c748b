namespace Detector.Modules.Jobs.Storage;

/// <summary>Item states as stored in jobs.items.state.</summary>
internal static class ItemState
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}

internal sealed record NewJob(
    Guid Id,
    Guid TenantId,
    string Source,
    string Priority,
    string? Model,
    float? MinScore,
    float? Iou,
    int? MaxDetections,
    string? CallbackUrl);

internal sealed record NewItem(int Index, string? FileName, string? Url, string? Sha256);

internal sealed class JobRow
{
    public Guid Id { get; set; }

    public Guid TenantId { get; set; }

    public string Status { get; set; } = "";

    public string Source { get; set; } = "";

    public string Priority { get; set; } = "";

    public string? Model { get; set; }

    public float? MinScore { get; set; }

    public float? Iou { get; set; }

    public int? MaxDetections { get; set; }

    public string? CallbackUrl { get; set; }

    public int Total { get; set; }

    public int Succeeded { get; set; }

    public int Failed { get; set; }

    public int Cancelled { get; set; }

    public bool CancelRequested { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? StartedAt { get; set; }

    public DateTime? FinishedAt { get; set; }

    public string? WebhookStatus { get; set; }
}

internal sealed class ItemRow
{
    public int Idx { get; set; }

    public string? FileName { get; set; }

    public string? Url { get; set; }

    public string? ImageSha256 { get; set; }

    public string State { get; set; } = "";

    public int Attempts { get; set; }

    public string? ErrorCode { get; set; }

    public string? ErrorDetail { get; set; }

    public Guid? ResultId { get; set; }

    public string? ProcessedBy { get; set; }

    public string Queue { get; set; } = "";
}

/// <summary>An open item that needs a dispatch ticket.</summary>
internal sealed record ItemRef(Guid JobId, int Idx, Guid TenantId, string Queue);

/// <summary>A job that reached a terminal status in the transaction that returned it.</summary>
internal sealed record JobCompletion(Guid JobId, Guid TenantId, string Status, DateTime CreatedAt, DateTime FinishedAt, bool HasCallback);

/// <summary>Who holds a claim: the instance name (shown as processed_by) and this process's lease id.</summary>
internal sealed record WorkerIdentity(string Instance, Guid LeaseOwner);
