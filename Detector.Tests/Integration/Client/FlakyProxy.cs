using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Detector.Tests.Integration.Client;

/// <summary>
/// A real HTTP hop on 127.0.0.1 (Kestrel, random port) in front of the real service: it answers
/// the requests it was told to refuse with a problem and the Retry-After given, forwards every
/// other one, and records each request's method, path, Idempotency-Key and the status it got.
/// </summary>
internal sealed class FlakyProxy : IAsyncDisposable
{
    private static readonly string[] ForwardedHeaders = ["X-Api-Key", "Idempotency-Key", "X-Subject-Id"];

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly ConcurrentQueue<Refusal> _refusals = new();

    private FlakyProxy(WebApplication app, HttpClient upstream)
    {
        _app = app;
        _upstream = upstream;
    }

    /// <summary>
    /// A scripted refusal; <see cref="RetryAfter"/> is asked for the header's value when it is sent (a date
    /// follows the clock). <see cref="AnswerLost"/>: the request reaches the service first and only its answer
    /// is replaced, as when a connection drops after the work was done.
    /// </summary>
    public sealed record Refusal(int Status, string Code, Func<string?> RetryAfter, bool AnswerLost);

    public sealed record Seen(string Method, string Path, string? IdempotencyKey, int Status, DateTimeOffset At);

    public Uri BaseUri { get; private set; } = null!;

    public ConcurrentQueue<Seen> Requests { get; } = new();

    public static async Task<FlakyProxy> StartAsync(Uri upstream)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var proxy = new FlakyProxy(builder.Build(), new HttpClient { BaseAddress = upstream, Timeout = TimeSpan.FromMinutes(2) });
        proxy._app.Run(proxy.HandleAsync);
        await proxy._app.StartAsync();
        proxy.BaseUri = new Uri(proxy._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    /// <summary>The next <paramref name="count"/> requests get this refusal instead of the service's answer.</summary>
    public void RefuseNext(int count, int status, string code, Func<string?> retryAfter, bool answerLost = false)
    {
        for (var i = 0; i < count; i++)
        {
            _refusals.Enqueue(new Refusal(status, code, retryAfter, answerLost));
        }
    }

    private async Task HandleAsync(HttpContext http)
    {
        var key = http.Request.Headers["Idempotency-Key"].FirstOrDefault();
        var path = http.Request.Path + http.Request.QueryString;
        if (_refusals.TryDequeue(out var refusal))
        {
            if (refusal.AnswerLost)
            {
                using var lost = await ForwardAsync(http, path);
            }

            Requests.Enqueue(new Seen(http.Request.Method, path, key, refusal.Status, DateTimeOffset.UtcNow));
            http.Response.StatusCode = refusal.Status;
            if (refusal.RetryAfter() is { } retryAfter)
            {
                http.Response.Headers.RetryAfter = retryAfter;
            }

            await http.Response.WriteAsJsonAsync(
                new Dictionary<string, object> { ["type"] = "about:blank", ["title"] = "Refused by the test proxy", ["status"] = refusal.Status, ["detail"] = "scripted", ["code"] = refusal.Code },
                (System.Text.Json.JsonSerializerOptions?)null,
                "application/problem+json");
            return;
        }

        using var answer = await ForwardAsync(http, path);
        Requests.Enqueue(new Seen(http.Request.Method, path, key, (int)answer.StatusCode, DateTimeOffset.UtcNow));
        http.Response.StatusCode = (int)answer.StatusCode;
        foreach (var header in answer.Headers.Concat(answer.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Content-Length" or "Connection"))
            {
                http.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        await http.Response.Body.WriteAsync(await answer.Content.ReadAsByteArrayAsync());
    }

    private async Task<HttpResponseMessage> ForwardAsync(HttpContext http, string path)
    {
        using var forward = new HttpRequestMessage(new HttpMethod(http.Request.Method), path);
        foreach (var name in ForwardedHeaders)
        {
            if (http.Request.Headers.TryGetValue(name, out var value))
            {
                forward.Headers.TryAddWithoutValidation(name, value.ToArray());
            }
        }

        if (http.Request.ContentType is { } contentType)
        {
            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            forward.Content = new ByteArrayContent(body.ToArray());
            forward.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        return await _upstream.SendAsync(forward);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
