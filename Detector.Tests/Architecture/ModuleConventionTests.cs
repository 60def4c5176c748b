using System.Reflection;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;

namespace Detector.Tests.Architecture;

/// <summary>The conventions of a module project that the compiler does not check.</summary>
public sealed class ModuleConventionTests
{
    [Fact]
    public void Every_namespace_belongs_to_a_known_module()
    {
        // A module's types live under its own namespace, so "Detector.Modules.M.Contracts" is M's
        // (source generators' helpers, in System.* namespaces, are not the module's code).
        var misplaced = ModuleMap.Assemblies.Values.SelectMany(a => a.GetTypes())
            .Where(t => t.Namespace is { } ns && !ns.StartsWith("System.", StringComparison.Ordinal) && !ns.StartsWith("Microsoft.", StringComparison.Ordinal) && !t.Name.Contains('<', StringComparison.Ordinal))
            .Where(t => t.Namespace != ModuleMap.ModuleNamespace(ModuleMap.ModuleOf(t)) && !t.Namespace!.StartsWith(ModuleMap.ModuleNamespace(ModuleMap.ModuleOf(t)) + ".", StringComparison.Ordinal))
            .Select(t => $"{t.FullName} (in {t.Assembly.GetName().Name})")
            .ToList();

        Assert.True(ModuleMap.Modules.Count >= 10, "module assemblies found beside the tests: " + string.Join(", ", ModuleMap.Modules));
        Assert.True(misplaced.Count == 0, "Types outside their module's namespace:" + Environment.NewLine + ModuleMap.Describe(misplaced));
    }

    [Fact]
    public void Every_module_but_common_has_a_public_static_entry_class()
    {
        var missing = ModuleMap.Modules
            .Where(m => m != ModuleMap.Common)
            .Where(m => ModuleMap.Assemblies[m].GetType($"{ModuleMap.ModuleNamespace(m)}.{m}Module") is not { IsPublic: true } t || !ModuleMap.IsEntry(t))
            .ToList();

        Assert.True(missing.Count == 0, "Modules without a public static <Module>Module class: " + string.Join(", ", missing));
    }

    [Fact]
    public void Every_module_entry_has_AddX_and_MapXEndpoints_in_one_shape()
    {
        var wrong = new List<string>();
        foreach (var module in ModuleMap.Modules.Where(m => m != ModuleMap.Common))
        {
            var entry = ModuleMap.Assemblies[module].GetType($"{ModuleMap.ModuleNamespace(module)}.{module}Module")!;
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

    [Fact]
    public void Public_types_are_entry_classes_contracts_shared_kernel_or_options()
    {
        var violations = ModuleMap.Assemblies.Values
            .SelectMany(a => a.GetExportedTypes())
            .Where(t => !ModuleMap.IsAllowedPublic(t) && !(t.IsNested && ModuleMap.IsAllowedPublic(t.DeclaringType!)))
            .Select(t => t.FullName!)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(violations.Count == 0, "Public types outside entry classes, Contracts, Common and options (make them internal):" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    [Fact]
    public void Internal_classes_are_sealed_unless_static_or_abstract()
    {
        var open = ModuleMap.SourceTypes
            .Where(t => t is { IsClass: true, IsPublic: false, IsNestedPublic: false, IsAbstract: false, IsSealed: false } && !typeof(Delegate).IsAssignableFrom(t))
            .Select(t => t.FullName!)
            .ToList();

        Assert.True(open.Count == 0, "Non-public classes that are not sealed:" + Environment.NewLine + ModuleMap.Describe(open));
    }
}
