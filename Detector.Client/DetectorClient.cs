using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Refit;

namespace Detector.Client;

/// <summary>
/// The typed client of the Detector API over a caller's <see cref="HttpClient"/> (its
/// BaseAddress is the service). Every call retries what a retry can get past within
/// <see cref="DetectorClientOptions.Deadline"/> (<see cref="RetryLoop"/>), sends an
/// Idempotency-Key on POSTs, and throws a <see cref="DetectorProblemException"/> for a refusal.
/// </summary>
public sealed class DetectorClient
{
    /// <summary>The service's JSON: snake_case names, nulls left out of request bodies.</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly IDetectorApi _api;
    private readonly RetryLoop _retries;
    private readonly DetectorClientOptions _options;

    public DetectorClient(HttpClient httpClient, DetectorClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _options = options ?? new DetectorClientOptions();
        _api = RestService.For<IDetectorApi>(httpClient, new RefitSettings { ContentSerializer = new SystemTextJsonContentSerializer(Json) });
        _retries = new RetryLoop(_options);
    }

    /// <summary>Detects objects on one photo (<c>POST /v1/detect</c>) and returns the stored result.</summary>
    public async Task<DetectionResult> DetectAsync(ImageUpload image, DetectOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var o = options ?? new DetectOptions();
        var key = KeyOf(o.IdempotencyKey);
        var query = new DetectQuery(o.Model, o.MinScore, o.Iou, o.MaxDetections, o.AllowDegradation, o.Calibrated);
        var part = Part(image);
        return await CallAsync(ct => _api.DetectObjects(part, query, key, o.SubjectId, _options.ApiKey, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One stored result of the tenant (<c>GET /v1/results/{id}</c>); <see cref="NotFoundException"/> when it has none by that id.</summary>
    public Task<DetectionResult> GetResultAsync(Guid id, CancellationToken cancellationToken = default) =>
        CallAsync(ct => _api.GetResult(id, _options.ApiKey, ct), cancellationToken);

    /// <summary>Every stored result of the tenant, newest first, fetched a page of <paramref name="pageSize"/> at a time as the caller reads on.</summary>
    public IAsyncEnumerable<DetectionResult> ListResultsAsync(int pageSize = 20, CancellationToken cancellationToken = default) =>
        Pages((cursor, ct) => _api.ListResults(new PageQuery(pageSize, cursor), _options.ApiKey, ct), page => (page.Items, page.NextCursor), cancellationToken);

    /// <summary>Deletes one stored result (<c>DELETE /v1/results/{id}</c>).</summary>
    public async Task DeleteResultAsync(Guid id, CancellationToken cancellationToken = default)
    {
        using var response = await _retries.RunAsync(ct => _api.DeleteResult(id, _options.ApiKey, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits photos as one job (<c>POST /v1/jobs</c>, multipart); every photo is stored when this returns.</summary>
    public async Task<JobAccepted> SubmitJobAsync(IEnumerable<ImageUpload> images, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        var parts = images.Select(Part).ToList();
        var o = options ?? new JobOptions();
        var key = KeyOf(o.IdempotencyKey);
        var query = new JobQuery(o.Model, o.MinScore, o.Iou, o.MaxDetections, o.CallbackUrl, o.Priority);
        return await CallAsync(ct => _api.SubmitJob(parts, query, key, _options.ApiKey, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Submits image URLs as one job (<c>POST /v1/jobs</c>, JSON); the service's workers fetch them.</summary>
    public async Task<JobAccepted> SubmitJobAsync(IEnumerable<Uri> urls, JobOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var o = options ?? new JobOptions();
        var key = KeyOf(o.IdempotencyKey);
        var body = new JobUrlsBody(urls.Select(u => u.AbsoluteUri).ToList(), o.Model, o.MinScore, o.Iou, o.MaxDetections, o.CallbackUrl, o.Priority);
        return await CallAsync(ct => _api.SubmitJobUrls(body, key, _options.ApiKey, ct), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A job's status and counts (<c>GET /v1/jobs/{id}</c>).</summary>
    public Task<Job> GetJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        CallAsync(ct => _api.GetJob(id, _options.ApiKey, ct), cancellationToken);

    /// <summary>Asks for the job's status every <see cref="DetectorClientOptions.JobPollInterval"/> until it is finished; stop it with the token.</summary>
    public async Task<Job> WaitForJobAsync(Guid id, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var job = await GetJobAsync(id, cancellationToken).ConfigureAwait(false);
            if (job.IsFinished)
            {
                return job;
            }

            await Task.Delay(_options.JobPollInterval, _options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Every item of a job in submission order, with its result or error, fetched a page at a time.</summary>
    public IAsyncEnumerable<JobItem> ListJobResultsAsync(Guid id, int pageSize = 20, CancellationToken cancellationToken = default) =>
        Pages((cursor, ct) => _api.ListJobResults(id, new PageQuery(pageSize, cursor), _options.ApiKey, ct), page => (page.Items, page.NextCursor), cancellationToken);

    /// <summary>Cancels what has not run of a job (<c>DELETE /v1/jobs/{id}</c>) and returns it.</summary>
    public Task<Job> CancelJobAsync(Guid id, CancellationToken cancellationToken = default) =>
        CallAsync(ct => _api.CancelJob(id, _options.ApiKey, ct), cancellationToken);

    /// <summary>A new Idempotency-Key: one per logical call, reused by all of that call's attempts.</summary>
    public static string NewIdempotencyKey() => Guid.NewGuid().ToString("N");

    private async IAsyncEnumerable<TItem> Pages<TPage, TItem>(
        Func<string?, CancellationToken, Task<IApiResponse<TPage>>> fetch,
        Func<TPage, (IReadOnlyList<TItem> Items, string? NextCursor)> read,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? cursor = null;
        do
        {
            var (items, next) = read(await CallAsync(ct => fetch(cursor, ct), cancellationToken).ConfigureAwait(false));
            foreach (var item in items)
            {
                yield return item;
            }

            cursor = next;
        }
        while (cursor is not null);
    }

    /// <summary>One call through the retry loop, answering the body every success of the API carries.</summary>
    private async Task<T> CallAsync<T>(Func<CancellationToken, Task<IApiResponse<T>>> attempt, CancellationToken cancellationToken)
    {
        using var response = await _retries.RunAsync(attempt, cancellationToken).ConfigureAwait(false);
        return response.Content ?? throw new InvalidOperationException($"{response.StatusCode} with an empty body where the API always sends one.");
    }

    /// <summary>The caller's Idempotency-Key, else a new one for this call (all its attempts send it).</summary>
    private static string KeyOf(string? given) => given ?? NewIdempotencyKey();

    // Built once per call, before the retry loop: every attempt sends the same bytes without copying them again.
    private static ByteArrayPart Part(ImageUpload image) => new(image.Bytes.ToArray(), image.FileName, image.ContentType);
}
