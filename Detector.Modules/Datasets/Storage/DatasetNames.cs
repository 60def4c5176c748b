using System.Text.RegularExpressions;
using Detector.Modules.Common;

namespace Detector.Modules.Datasets.Storage;

/// <summary>Dataset names: 1 to 100 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
internal static partial class DatasetNames
{
    public static string Validate(string name) => Pattern().IsMatch(name)
        ? name
        : throw new DomainException(OutcomeKind.InvalidInput, ErrorCodes.ValidationFailed, "Invalid dataset name", "A dataset name is 1 to 100 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit.");

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,99}$")]
    private static partial Regex Pattern();
}
