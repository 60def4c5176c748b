using System.Reflection;

namespace Detector.Tests.Architecture;

/// <summary>No module reads another module's configuration: a need goes through the owner's Contracts.</summary>
public sealed class ConfigurationOwnershipTests
{
    [Fact]
    public void No_module_reads_another_modules_configuration_section()
    {
        var owners = SectionOwners();
        Assert.Equal("Detection", owners["Detection"]);
        Assert.Equal("Outbound", owners["Jobs:UrlFetch"]); // a renamed section stays its new owner's

        var violations = new List<string>();
        foreach (var module in ModuleMap.Modules)
        {
            foreach (var (type, literal, toConfiguration) in ConfigurationLiterals.Of(module))
            {
                // The most specific section a literal names: another module's key ("Detection:MaxUploadBytes")
                // anywhere, or its section name ("Detection") where it goes into a configuration API.
                var owner = owners
                    .Where(o => (literal == o.Key && (toConfiguration || o.Key.Contains(':', StringComparison.Ordinal))) || literal.StartsWith(o.Key + ":", StringComparison.Ordinal) || literal.StartsWith(o.Key.Replace(":", "__", StringComparison.Ordinal) + "__", StringComparison.Ordinal))
                    .OrderByDescending(o => o.Key.Length)
                    .Select(o => o.Value)
                    .FirstOrDefault();
                if (owner is not null && owner != module)
                {
                    violations.Add($"{type} reads \"{literal}\", a key of {owner}'s configuration");
                }
            }
        }

        Assert.True(violations.Count == 0, "Modules reading another module's configuration (ask that module through its Contracts):" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    /// <summary>Every SectionName and LegacySectionName constant (and a section name's first segment), with the module that declares it.</summary>
    private static Dictionary<string, string> SectionOwners()
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var type in ModuleMap.SourceTypes)
        {
            foreach (var name in new[] { "SectionName", "LegacySectionName" })
            {
                if (type.GetField(name, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static) is { IsLiteral: true } field && field.FieldType == typeof(string))
                {
                    var section = (string)field.GetRawConstantValue()!;
                    owners[section] = ModuleMap.ModuleOf(type);
                    if (name == "SectionName")
                    {
                        owners.TryAdd(section.Split(':')[0], ModuleMap.ModuleOf(type));
                    }
                }
            }
        }

        return owners;
    }
}
