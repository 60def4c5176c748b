using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Detector.Tests.Integration.Jobs;

/// <summary>A real HTTP server on 127.0.0.1 (Kestrel, random port) serving images, traps and a flaky webhook receiver.</summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private LoopbackServer(WebApplication app, Uri baseUri)
    {
        _app = app;
        BaseUri = baseUri;
    }

    public Uri BaseUri { get; }

    public int Port => BaseUri.Port;

    /// <summary>Webhook deliveries received, per path: headers and raw body, in arrival order.</summary>
    public ConcurrentDictionary<string, ConcurrentQueue<(string Signature, string Body, DateTimeOffset At)>> Hooks { get; } = new();

    /// <summary>Hook paths that answer 500 to every delivery until removed from this set.</summary>
    public ConcurrentDictionary<string, bool> Failing { get; } = new();

    /// <summary>Requests /down/... received (it always answers 503).</summary>
    public int DownHits => Volatile.Read(ref _downHits);

    private int _downHits;

    public static async Task<LoopbackServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel().UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        LoopbackServer? self = null;
        var images = JobsTestKit.CocoFiles;

        app.MapGet("/img/{n:int}.jpg", (int n) => Results.File(File.ReadAllBytes(images[n % images.Length]), "image/jpeg"));
        app.MapGet("/phone/{n:int}.jpg", (int n) => Results.File(Detector.Tests.Unit.Images.PhotosWithMetadata.Jpeg(File.ReadAllBytes(images[n % images.Length]), orientation: 6), "image/jpeg"));
        app.MapGet("/text.jpg", () => Results.Text("<html>definitely not an image</html>", "image/jpeg"));
        app.MapGet("/big.jpg", async (HttpContext http) =>
        {
            // Chunked (no Content-Length), so only the streaming cap can stop it.
            http.Response.ContentType = "image/jpeg";
            var block = new byte[64 * 1024];
            block[0] = 0xFF;
            block[1] = 0xD8;
            block[2] = 0xFF;
            for (var i = 0; i < 64; i++)
            {
                await http.Response.Body.WriteAsync(block);
            }
        });
        app.MapGet("/down/{n:int}.jpg", (int n) =>
        {
            Interlocked.Increment(ref self!._downHits);
            return Results.StatusCode(503);
        });
        app.MapGet("/redirect/{*target}", (string target) => Results.Redirect(Uri.UnescapeDataString(target)));
        app.MapPost("/hook/{name}", async (string name, HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            var body = await reader.ReadToEndAsync();
            var queue = self!.Hooks.GetOrAdd(name, _ => new());
            queue.Enqueue((http.Request.Headers["Detector-Signature"].ToString(), body, DateTimeOffset.UtcNow));
            return queue.Count <= 2 || self.Failing.ContainsKey(name) ? Results.StatusCode(500) : Results.Ok();
        });

        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new LoopbackServer(app, new Uri(address));
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(self.BaseUri.Host)));
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
