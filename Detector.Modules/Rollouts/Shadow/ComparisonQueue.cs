using System.Threading.Channels;
using Detector.Modules.Inference.Contracts;
using Microsoft.Extensions.Options;

namespace Detector.Modules.Rollouts.Shadow;

/// <summary>A request to compare: the image, what served it, and which alias to run it on off the path.</summary>
internal sealed record Pending(string Model, string Variant, string Version, string Other, byte[] Image, DetectionOptions Options, IReadOnlyList<Detection> Detections, double TotalMs, Guid? TenantId, long Queued)
{
    /// <summary>The version judged: the shadow, or the variant the request was served by.</summary>
    public string Candidate => Other == Models.Contracts.ModelAliases.Shadow ? Other : Variant;
}

/// <summary>The small bounded queue between the observer on the request path and the comparison worker; a full queue drops the copy.</summary>
internal sealed class ComparisonQueue(IOptions<RolloutsOptions> options)
{
    private readonly Channel<Pending> _channel = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.Value.ComparisonQueueCapacity)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    /// <summary>How long a queued copy waits for the interactive path to go idle before it is dropped.</summary>
    public TimeSpan MaxWait { get; } = TimeSpan.FromMilliseconds(options.Value.ComparisonMaxWaitMs);

    public ChannelWriter<Pending> Writer => _channel.Writer;

    public ChannelReader<Pending> Reader => _channel.Reader;
}
