using System.Reflection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Xunit.Abstractions;

namespace Detector.Tests.Architecture;

/// <summary>The module dependency graph, computed from the compiled types: acyclic, and no module reads another's configuration.</summary>
public sealed class ModuleGraphTests(ITestOutputHelper output)
{
    private static readonly ModuleGraph Graph = ModuleGraph.Load(ModuleMap.ModulesAssembly.Location);

    [Fact]
    public void The_module_dependency_graph_has_no_cycle()
    {
        foreach (var (module, uses) in Graph.Edges.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            output.WriteLine($"{module} -> {string.Join(", ", uses.Keys.Order(StringComparer.Ordinal))}");
        }

        var cycles = Graph.Cycles();
        Assert.True(cycles.Count == 0, "Module dependency cycles (the first use of each edge shown):" + Environment.NewLine + string.Join(Environment.NewLine, cycles.Select(Describe)));
    }

    [Fact]
    public void No_module_reads_another_modules_configuration_section()
    {
        var owners = SectionOwners();
        Assert.Contains("Ingestion", owners.Keys);
        Assert.Equal("Tenancy", owners["Detector"]);

        var violations = new List<string>();
        foreach (var (module, literals) in Graph.Literals)
        {
            foreach (var (type, literal, toConfiguration) in literals)
            {
                // A key of another module's section ("Ingestion:MaxUploadBytes") anywhere, or its
                // section name ("Ingestion") where it goes into a configuration API.
                var owner = owners.FirstOrDefault(o => (toConfiguration && literal == o.Key)
                    || literal.StartsWith(o.Key + ":", StringComparison.Ordinal) || literal.StartsWith(o.Key + "__", StringComparison.Ordinal)).Value;
                if (owner is not null && owner != module)
                {
                    violations.Add($"{type} reads \"{literal}\", a key of {owner}'s configuration");
                }
            }
        }

        Assert.True(violations.Count == 0, "Modules reading another module's configuration (ask that module through its Contracts):" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    [Fact]
    public void Every_module_entry_has_AddX_and_MapXEndpoints_in_one_shape()
    {
        var wrong = new List<string>();
        foreach (var module in ModuleMap.Modules.Where(m => m != ModuleMap.Common))
        {
            var entry = ModuleMap.ModulesAssembly.GetType($"{ModuleMap.ModuleNamespace(module)}.{module}Module")!;
            var add = entry.GetMethod("Add" + module, BindingFlags.Public | BindingFlags.Static);
            var map = entry.GetMethod($"Map{module}Endpoints", BindingFlags.Public | BindingFlags.Static);
            if (add is null || add.ReturnType != typeof(IHostApplicationBuilder) || add.GetParameters() is not [{ } b] || b.ParameterType != typeof(IHostApplicationBuilder))
            {
                wrong.Add($"{entry.Name}.Add{module}(this IHostApplicationBuilder) returning IHostApplicationBuilder");
            }

            if (map is null || map.ReturnType != typeof(IEndpointRouteBuilder) || map.GetParameters() is not [{ } a] || a.ParameterType != typeof(IEndpointRouteBuilder))
            {
                wrong.Add($"{entry.Name}.Map{module}Endpoints(this IEndpointRouteBuilder) returning IEndpointRouteBuilder");
            }
        }

        Assert.True(wrong.Count == 0, "Entry classes missing the module shape:" + Environment.NewLine + ModuleMap.Describe(wrong));
    }

    /// <summary>First segment of every SectionName constant, and the module that declares it.</summary>
    private static Dictionary<string, string> SectionOwners() =>
        ModuleMap.SourceTypes
            .Select(t => (Type: t, Field: t.GetField("SectionName", BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)))
            .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
            .Select(x => (Root: ((string)x.Field!.GetRawConstantValue()!).Split(':')[0], Module: ModuleMap.ModuleOf(x.Type)!))
            .DistinctBy(x => x.Root)
            .ToDictionary(x => x.Root, x => x.Module, StringComparer.Ordinal);

    private static string Describe(List<string> cycle) =>
        "  " + string.Join(" -> ", cycle) + Environment.NewLine + string.Join(Environment.NewLine, cycle.Zip(cycle.Skip(1)).Select(e => "    " + Graph.Edges[e.First][e.Second].First()));
}
