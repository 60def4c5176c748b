using System.Globalization;

namespace Detector.Modules.Datasets.Canonical;

/// <summary>
/// An image's split from its sha256 alone (its first 32 bits modulo 100 against the
/// percentages): the same image lands in the same split in every version cut with the same
/// percentages, so a test image never leaks into a later version's training set.
/// </summary>
internal sealed class SplitRule(DatasetSplits splits)
{
    public string Of(string sha256)
    {
        var bucket = uint.Parse(sha256.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture) % 100;
        return bucket < splits.Train ? Splits.Train
            : bucket < splits.Train + splits.Val ? Splits.Val
            : Splits.Test;
    }
}
