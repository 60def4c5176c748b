using System.Reflection;
using Detector.Client;
using Detector.Modules.Common;

namespace Detector.Tests.Unit.Client;

/// <summary>The client ships its own copy of the codes callers branch on: each must be one the service sends.</summary>
public sealed class ProblemCodesTests
{
    [Fact]
    public void Every_client_problem_code_is_one_of_the_services_error_codes()
    {
        var service = Constants(typeof(ErrorCodes)).Values.ToHashSet(StringComparer.Ordinal);
        var client = Constants(typeof(ProblemCodes));

        Assert.NotEmpty(client);
        Assert.All(client, c => Assert.True(service.Contains(c.Value), $"ProblemCodes.{c.Key} = \"{c.Value}\" is not among Detector.Modules.Common.ErrorCodes"));
    }

    private static Dictionary<string, string> Constants(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);
}
