using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Detector.Modules.Labeling.Sampling;

/// <summary>A strategy with its switch, share and daily cap.</summary>
internal sealed record ConfiguredStrategy(ISamplingStrategy Strategy, bool Enabled, double Share, int DailyCapPerTenant);

/// <summary>
/// Decides which strategy, if any, enqueues a candidate: the first enabled one (in configured
/// order) that wants it, whose share takes it and whose cap for the tenant today is not reached.
/// Every strategy observes every candidate of the results stream, picked or not.
/// </summary>
internal sealed class StrategyPicker(IReadOnlyList<ConfiguredStrategy> strategies, IReadOnlyDictionary<(Guid Tenant, string Strategy), int> alreadyToday)
{
    private readonly Dictionary<(Guid, string), int> _taken = new(alreadyToday);

    /// <param name="candidate">The result.</param>
    /// <param name="observe">False for a result seen again (queued feedback on it), which the strategies observed when it went by.</param>
    public string? Pick(Candidate candidate, bool observe = true)
    {
        string? picked = null;
        foreach (var s in strategies)
        {
            if (picked is null && s.Enabled && s.Strategy.Wants(candidate) && Takes(candidate.ResultId, s.Strategy.Name, s.Share))
            {
                var key = (candidate.TenantId, s.Strategy.Name);
                var taken = _taken.GetValueOrDefault(key);
                if (taken < s.DailyCapPerTenant)
                {
                    _taken[key] = taken + 1;
                    picked = s.Strategy.Name;
                }
            }
        }

        if (observe)
        {
            foreach (var s in strategies)
            {
                s.Strategy.Observe(candidate);
            }
        }

        return picked;
    }

    /// <summary>
    /// Whether a strategy's share takes this result: the first 8 bytes of SHA-256(result id,
    /// strategy name) as a fraction of 2^64, below the share. The same result and strategy always
    /// answer the same, on every instance and every rerun; different strategies sample independently.
    /// </summary>
    public static bool Takes(Guid resultId, string strategy, double share)
    {
        if (share >= 1.0)
        {
            return true;
        }

        Span<byte> input = stackalloc byte[16 + Encoding.UTF8.GetMaxByteCount(strategy.Length)];
        resultId.TryWriteBytes(input);
        var length = 16 + Encoding.UTF8.GetBytes(strategy, input[16..]);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(input[..length], hash);
        var fraction = BinaryPrimitives.ReadUInt64BigEndian(hash) / 18446744073709551616.0;
        return fraction < share;
    }
}
