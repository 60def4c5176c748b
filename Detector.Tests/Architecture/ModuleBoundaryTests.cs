using System.Text.RegularExpressions;
using Mono.Cecil;
using NetArchTest.Rules;

namespace Detector.Tests.Architecture;

public sealed class ModuleBoundaryTests
{
    [Fact]
    public void Every_namespace_belongs_to_a_known_module()
    {
        // The rules below iterate the known modules; a new folder outside that list would escape them.
        var unknown = ModuleMap.SourceTypes
            .Where(t => ModuleMap.ModuleOf(t) is not { } m || !ModuleMap.Modules.Contains(m))
            .Select(t => t.FullName!)
            .ToList();

        Assert.True(unknown.Count == 0, "Types outside the known modules (add the module to ModuleMap.Modules):" + Environment.NewLine + ModuleMap.Describe(unknown));
    }

    [Fact]
    public void Every_module_but_common_has_a_public_static_entry_class()
    {
        var missing = ModuleMap.Modules
            .Where(m => m != ModuleMap.Common)
            .Where(m => ModuleMap.ModulesAssembly.GetType($"{ModuleMap.ModuleNamespace(m)}.{m}Module") is not { IsPublic: true } t || !ModuleMap.IsEntry(t))
            .ToList();

        Assert.True(missing.Count == 0, "Modules without a public static <Module>Module class: " + string.Join(", ", missing));
    }

    [Fact]
    public void Modules_use_other_modules_only_through_their_contracts()
    {
        var violations = new List<string>();
        foreach (var module in ModuleMap.Modules.Where(m => m != ModuleMap.Common))
        {
            var forbidden = ModuleMap.Modules
                .Where(other => other != module && other != ModuleMap.Common)
                .SelectMany(ModuleMap.InternalsOf)
                .ToList();
            violations.AddRange(ModuleMap.DependencyViolations(ModuleMap.ModulesAssembly, NamespacePattern(module), forbidden));
        }

        Assert.True(violations.Count == 0, "Types that use another module's internals (use its Contracts):" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    [Fact]
    public void Contracts_do_not_depend_on_module_internals()
    {
        // Not even their own module's: a contract that exposes an internal type leaks it to every consumer.
        var forbidden = ModuleMap.Modules.Where(m => m != ModuleMap.Common).SelectMany(ModuleMap.InternalsOf).ToList();
        var violations = ModuleMap.Modules
            .Where(m => m != ModuleMap.Common)
            .SelectMany(m => ModuleMap.DependencyViolations(ModuleMap.ModulesAssembly, "^" + Regex.Escape(ModuleMap.ContractsNamespace(m)) + @"(\.|$)", forbidden))
            .ToList();

        Assert.True(violations.Count == 0, "Contracts that depend on module internals:" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    [Fact]
    public void The_shared_kernel_depends_on_no_module()
    {
        var forbidden = ModuleMap.Modules.Where(m => m != ModuleMap.Common).Select(ModuleMap.ModuleNamespace).ToList();
        var violations = ModuleMap.DependencyViolations(ModuleMap.ModulesAssembly, NamespacePattern(ModuleMap.Common), forbidden).ToList();

        Assert.True(violations.Count == 0, "Shared-kernel types that depend on a module:" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    [Fact]
    public void Public_types_are_entry_classes_contracts_shared_kernel_or_options()
    {
        var allowed = ModuleMap.SourceTypes.Where(ModuleMap.IsAllowedPublic).Select(t => t.FullName!).ToHashSet(StringComparer.Ordinal);
        var result = Types.InAssembly(ModuleMap.ModulesAssembly)
            .That().ArePublic()
            .Should().MeetCustomRule(new NameIn(allowed))
            .GetResult();

        // ArePublic may not cover public types nested in public ones; reflection's IsVisible does.
        var visible = ModuleMap.ModulesAssembly.GetExportedTypes()
            .Where(t => !allowed.Contains(t.FullName!) && !(t.IsNested && allowed.Contains(t.DeclaringType!.FullName!) && ModuleMap.IsAllowedPublic(t.DeclaringType!)))
            .Select(t => t.FullName!);
        var violations = (result.FailingTypeNames ?? []).Select(n => n.Replace('/', '+')).Union(visible).Order(StringComparer.Ordinal).ToList();

        Assert.True(violations.Count == 0, "Public types outside entry classes, Contracts, Common and options (make them internal):" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    [Fact]
    public void Internal_classes_are_sealed_unless_static_or_abstract()
    {
        var result = Types.InAssembly(ModuleMap.ModulesAssembly)
            .That().ResideInNamespaceMatching(@"^Detector\.Modules(\.|$)")
            .And().AreClasses()
            .And().AreNotPublic()
            .And().AreNotAbstract()
            .And().DoNotHaveCustomAttribute(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute))
            .Should().BeSealed()
            .GetResult();

        Assert.True(result.IsSuccessful, "Non-public classes that are not sealed:" + Environment.NewLine + ModuleMap.Describe(result.FailingTypeNames ?? []));
    }

    [Fact]
    public void Modules_do_not_depend_on_the_web_host()
    {
        var result = Types.InAssembly(ModuleMap.ModulesAssembly)
            .ShouldNot().HaveDependencyOn("Detector.Web")
            .GetResult();
        var references = ModuleMap.ModulesAssembly.GetReferencedAssemblies().Where(a => a.Name == "Detector.Web").Select(a => a.FullName);

        Assert.True(result.IsSuccessful, "Module types that depend on Detector.Web:" + Environment.NewLine + ModuleMap.Describe(result.FailingTypeNames ?? []));
        Assert.Empty(references);
    }

    [Fact]
    public void The_web_host_uses_only_entry_classes_contracts_shared_kernel_and_options()
    {
        var violations = ModuleMap.DependencyViolations(ModuleMap.WebAssembly, ".*", ModuleMap.HiddenFromHost()).ToList();

        Assert.True(violations.Count == 0, "Host types that use module internals:" + Environment.NewLine + ModuleMap.Describe(violations));
    }

    private static string NamespacePattern(string module) => "^" + Regex.Escape(ModuleMap.ModuleNamespace(module)) + @"(\.|$)";

    private sealed class NameIn(IReadOnlySet<string> names) : ICustomRule
    {
        public bool MeetsRule(TypeDefinition type) => names.Contains(ModuleMap.CecilName(type));
    }
}
