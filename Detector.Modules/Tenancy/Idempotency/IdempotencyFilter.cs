using System.Security.Cryptography;
using System.Text.Json;
using Detector.Modules.Common;
using Detector.Modules.Tenancy.Contracts;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Detector.Modules.Tenancy.Idempotency;

/// <summary>
/// Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for tenant endpoints. The first
/// request with a key claims it, runs, and its answer (status, the headers that matter, body) is
/// kept for <see cref="GuardOptions.IdempotencyHours"/>; a repeat with the same payload gets
/// that answer byte for byte without running (nothing is detected or counted again), with
/// another payload 422, and while the first still runs 409 (a claim whose request never answered
/// is taken over after <see cref="GuardOptions.IdempotencyStaleClaimMinutes"/>). Only final answers are kept
/// (<see cref="FinalAnswers"/>); after any other (a 429, a 503) the key is freed so the client
/// can retry with it. A kept answer names the result or job it is about, when the endpoint said
/// (<see cref="IdempotencyEndpointExtensions.SetIdempotencySubject"/>); deleting that forgets it
/// (<see cref="IIdempotencyRecords"/>). Keys belong to their tenant.
/// </summary>
internal sealed class IdempotencyFilter(IdempotencyStore store, IOptions<GuardOptions> options) : IIdempotencyFilter
{
    private const string ReplayedHeader = "Idempotent-Replayed";
    private static readonly string[] KeptHeaders = [HeaderNames.ContentType, HeaderNames.Location, HeaderNames.RetryAfter, "Preference-Applied", "X-Queue-Wait-Ms", "X-Batch-Size"];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (!http.Request.Headers.TryGetValue(IdempotencyEndpointExtensions.HeaderName, out var values))
        {
            return await next(context);
        }

        var key = ParseKey(values);
        if (http.User.BrowserKeyId() is { } browserKey)
        {
            // A browser key's keys are its own: a repeat must never replay another key's answer (ADR 0027).
            key = $"browser:{browserKey:N}:{key}";
        }

        var tenantId = http.User.GetTenantId();
        var ct = http.RequestAborted;
        var guards = options.Value;
        var existing = await store.TryClaimAsync(tenantId, key, TimeSpan.FromHours(guards.IdempotencyHours), TimeSpan.FromMinutes(guards.IdempotencyStaleClaimMinutes), ct);
        return existing is null
            ? await RunFirstAsync(context, next, tenantId, key)
            : await AnswerRepeatAsync(http, existing);
    }

    private async Task<object?> RunFirstAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next, Guid tenantId, string key)
    {
        var http = context.HttpContext;
        var boundary = Boundary(http.Request);
        using var fingerprint = new BodyFingerprint(boundary);
        var requestBody = http.Request.Body;
        var responseBody = http.Response.Body;
        var body = new FingerprintingStream(requestBody, fingerprint);
        using var capture = new MemoryStream();
        http.Request.Body = body;
        http.Response.Body = capture;
        var kept = false;
        try
        {
            try
            {
                var result = await next(context);
                if (result is IResult r)
                {
                    await r.ExecuteAsync(http);
                }
            }
            catch (DomainException problem)
            {
                http.Response.Clear();
                await ProblemWriter.WriteAsync(http, problem);
            }

            if (FinalAnswers.IsFinal(http.Response.StatusCode))
            {
                await body.DrainAsync(http.RequestAborted);
                var headers = KeptHeaders.Where(h => http.Response.Headers.ContainsKey(h)).ToDictionary(h => h, h => (object?)http.Response.Headers[h].ToString());
                headers["request_bytes"] = fingerprint.Length;
                headers["delimiters"] = fingerprint.Delimiters;
                headers["boundary_length"] = boundary?.Length ?? 0;
                await store.CompleteAsync(tenantId, key, Fingerprint(http.Request, fingerprint), http.Response.StatusCode, JsonSerializer.Serialize(headers), capture.ToArray(),
                    http.GetIdempotencySubject(), CancellationToken.None);
                kept = true;
            }
        }
        finally
        {
            http.Request.Body = requestBody;
            http.Response.Body = responseBody;
            if (!kept)
            {
                await store.ReleaseAsync(tenantId, key, CancellationToken.None);
            }
        }

        capture.Position = 0;
        await capture.CopyToAsync(responseBody, http.RequestAborted);
        return Microsoft.AspNetCore.Http.Results.Empty;
    }

    private static async Task<object?> AnswerRepeatAsync(HttpContext http, IdempotencyRecord existing)
    {
        if (existing.State != "done")
        {
            throw new DomainException(OutcomeKind.Conflict, ErrorCodes.IdempotencyKeyInUse, "Request in progress", "A request with this Idempotency-Key is still being processed; retry shortly.") { RetryAfterSeconds = 1 };
        }

        // Same payload? Read this body through the same fingerprint; a different length is a different
        // payload. The same parts under a boundary of another length differ by that much per delimiter.
        var boundary = Boundary(http.Request);
        var expected = existing.RequestBytes + (existing.Delimiters * ((boundary?.Length ?? 0) - existing.BoundaryLength));
        if (http.Request.ContentLength is { } declared && declared != expected)
        {
            throw Reused();
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size && expected is { } bytes)
        {
            size.MaxRequestBodySize = bytes + 1;
        }

        using var fingerprint = new BodyFingerprint(boundary);
        try
        {
            await new FingerprintingStream(http.Request.Body, fingerprint).DrainAsync(http.RequestAborted);
        }
        catch (BadHttpRequestException)
        {
            throw Reused();
        }

        if (existing.Fingerprint is null || !CryptographicOperations.FixedTimeEquals(existing.Fingerprint, Fingerprint(http.Request, fingerprint)))
        {
            throw Reused();
        }

        http.Response.StatusCode = existing.Status ?? 200;
        foreach (var (name, value) in JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(existing.Headers ?? "{}")!)
        {
            if (value.ValueKind == JsonValueKind.String)
            {
                http.Response.Headers[name] = value.GetString();
            }
        }

        http.Response.Headers[ReplayedHeader] = "true";
        await http.Response.Body.WriteAsync(existing.Body ?? [], http.RequestAborted);
        return Microsoft.AspNetCore.Http.Results.Empty;
    }

    /// <summary>The key as a structured-field string ("...") or a bare token: 1-255 printable ASCII characters.</summary>
    private static string ParseKey(Microsoft.Extensions.Primitives.StringValues values)
    {
        var raw = values.Count == 1 ? values[0]!.Trim() : "";
        if (raw.Length >= 2 && raw[0] == '"' && raw[^1] == '"')
        {
            raw = raw[1..^1];
        }

        if (raw.Length is 0 or > 255 || raw.Any(c => c is < (char)0x20 or > (char)0x7E))
        {
            throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.IdempotencyKeyInvalid, "Invalid Idempotency-Key", "Idempotency-Key must be one value of 1 to 255 printable ASCII characters.");
        }

        return raw;
    }

    private static string? Boundary(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var media) && media.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            ? HeaderUtilities.RemoveQuotes(media.Boundary).Value
            : null;

    private static byte[] Fingerprint(HttpRequest request, BodyFingerprint body)
    {
        var media = MediaTypeHeaderValue.TryParse(request.ContentType, out var m) ? m.MediaType.Value ?? "" : "";
        return body.Finish(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", media.ToUpperInvariant());
    }

    private static DomainException Reused() =>
        new(OutcomeKind.Unprocessable, ErrorCodes.IdempotencyKeyReused, "Idempotency-Key reused", "This Idempotency-Key was used with a different request payload.");
}
