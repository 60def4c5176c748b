using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Detector.Modules.Models.Contracts;

namespace Detector.Modules.Inference.Loading;

/// <summary>
/// Where a subject falls in a model's traffic: a point in [0, 1) from a hash of the model name and
/// the subject (the client's <c>X-Subject-Id</c>, else the tenant), the same on every instance and
/// after every restart. Variants (aliases with a share) take consecutive intervals in alias order
/// from 0, and production the rest, so a subject keeps its variant while shares stay, and growing
/// the only variant's share (a canary from 20 % to 50 %) only adds subjects to it.
/// </summary>
internal static class TrafficSplit
{
    public static double PointOf(string model, string subject)
    {
        Span<byte> hash = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetBytes(model + "\n" + subject);
        SHA256.HashData(bytes, hash);
        return (BinaryPrimitives.ReadUInt64BigEndian(hash) >> 11) * (1.0 / (1UL << 53));
    }

    /// <summary>The alias whose interval holds <paramref name="point"/>, or production.</summary>
    public static string AliasAt(IReadOnlyList<(string Alias, double Share)> variants, double point)
    {
        var start = 0.0;
        foreach (var (alias, share) in variants)
        {
            if (point < start + share)
            {
                return alias;
            }

            start += share;
        }

        return ModelAliases.Production;
    }

    /// <summary>A model's variants in the order their intervals are laid out.</summary>
    public static List<(string Alias, double Share)> VariantsOf(RegisteredModel model) =>
        [.. model.Shares.Where(s => s.Value > 0 && s.Key != ModelAliases.Production).OrderBy(s => s.Key, StringComparer.Ordinal).Select(s => (s.Key, s.Value))];
}
