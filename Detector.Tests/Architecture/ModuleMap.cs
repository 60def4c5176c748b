using System.Reflection;
using System.Runtime.CompilerServices;
using Detector.Modules.Inference;
using Mono.Cecil;
using NetArchTest.Rules;

namespace Detector.Tests.Architecture;

/// <summary>
/// The module layout the architecture rules are written against. A type's module is the
/// namespace segment after Detector.Modules; its place in the module decides who may see it:
/// <list type="bullet">
/// <item>the entry class <c>Detector.Modules.M.MModule</c> (public static) is for the host only;</item>
/// <item><c>Detector.Modules.M.Contracts</c> is what other modules and the host may use;</item>
/// <item>Detector.Modules.Common is the shared kernel, usable by everyone;</item>
/// <item>configuration types: a public sealed class in the module root namespace named *Options with a
/// <c>SectionName</c> constant (it is bound from configuration), plus the types of the same namespace
/// its public properties reach (ModelSchedulingOverride, ExecutionProviderKind). The host configures
/// them, so they are public, but they are still module internals to other modules.</item>
/// </list>
/// Everything else is a module internal.
/// </summary>
internal static class ModuleMap
{
    public const string Root = "Detector.Modules";
    public const string Common = "Common";

    public static readonly IReadOnlyList<string> Modules =
        [Common, "Images", "Preprocessing", "Models", "Inference", "Results", "Tenancy", "Ingestion", "Evaluation", "Jobs", "Compliance"];

    public static readonly Assembly ModulesAssembly = typeof(InferenceModule).Assembly;

    public static readonly Assembly WebAssembly = typeof(Program).Assembly;

    /// <summary>Types written in the modules, without compiler-generated helpers.</summary>
    public static readonly IReadOnlyList<Type> SourceTypes =
        [.. ModulesAssembly.GetTypes().Where(t => t.Namespace is { } ns && (ns == Root || ns.StartsWith(Root + ".", StringComparison.Ordinal)) && !IsCompilerGenerated(t))];

    private static readonly HashSet<Type> ConfigurationTypes = FindConfigurationTypes();

    public static string? ModuleOf(Type type) => ModuleOf(type.Namespace);

    public static string? ModuleOf(string? ns)
    {
        if (ns is null || !ns.StartsWith(Root + ".", StringComparison.Ordinal))
        {
            return null;
        }

        var rest = ns[(Root.Length + 1)..];
        var dot = rest.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? rest : rest[..dot];
    }

    public static string ModuleNamespace(string module) => $"{Root}.{module}";

    public static string ContractsNamespace(string module) => $"{Root}.{module}.Contracts";

    public static bool IsContracts(Type type) =>
        ModuleOf(type) is { } m && m != Common
        && (type.Namespace == ContractsNamespace(m) || type.Namespace!.StartsWith(ContractsNamespace(m) + ".", StringComparison.Ordinal));

    public static bool IsEntry(Type type) =>
        ModuleOf(type) is { } m && m != Common
        && type.Namespace == ModuleNamespace(m) && type.Name == m + "Module" && type.IsAbstract && type.IsSealed && !type.IsNested;

    public static bool IsConfiguration(Type type) => ConfigurationTypes.Contains(type);

    /// <summary>Where a public type may live: entry class, contracts, shared kernel or configuration.</summary>
    public static bool IsAllowedPublic(Type type) =>
        IsEntry(type) || IsContracts(type) || ModuleOf(type) == Common || IsConfiguration(type);

    /// <summary>
    /// Full names of a module's types other modules must not use: everything outside its Contracts,
    /// entry class and options included. Full type names rather than namespaces, because a namespace
    /// prefix such as Detector.Modules.Inference would also match Detector.Modules.Inference.Contracts.
    /// </summary>
    public static string[] InternalsOf(string module) =>
        [.. SourceTypes.Where(t => !t.IsNested && ModuleOf(t) == module && !IsContracts(t)).Select(t => t.FullName!).Order(StringComparer.Ordinal)];

    /// <summary>Module types the host must not use: all but entry classes, contracts, shared kernel and configuration.</summary>
    public static string[] HiddenFromHost() =>
        [.. SourceTypes.Where(t => !t.IsNested && !IsAllowedPublic(t)).Select(t => t.FullName!).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Runs a dependency rule and, for each failing type, names the forbidden types it uses, so the
    /// assertion message says what to fix rather than only who broke the rule.
    /// </summary>
    public static IEnumerable<string> DependencyViolations(Assembly assembly, string namespacePattern, IReadOnlyCollection<string> forbidden)
    {
        if (forbidden.Count == 0)
        {
            return [];
        }

        var result = Types.InAssembly(assembly)
            .That().ResideInNamespaceMatching(namespacePattern)
            .ShouldNot().HaveDependencyOnAny([.. forbidden])
            .GetResult();
        if (result.IsSuccessful)
        {
            return [];
        }

        return result.FailingTypeNames.Select(name =>
        {
            var used = forbidden.Where(f => Types.InAssembly(assembly)
                .That().MeetCustomRule(new FullNameIs(name))
                .And().HaveDependencyOn(f)
                .GetTypes().Any());
            return $"{name} -> {string.Join(", ", used)}";
        });
    }

    public static string Describe(IEnumerable<string> violations) => string.Join(Environment.NewLine, violations.Select(v => "  " + v));

    public static string CecilName(TypeDefinition type) => type.FullName.Replace('/', '+');

    private static bool IsCompilerGenerated(Type type) =>
        type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || type.Name.Contains('<', StringComparison.Ordinal);

    private static HashSet<Type> FindConfigurationTypes()
    {
        var found = new HashSet<Type>();
        var pending = new Queue<Type>(SourceTypes.Where(t =>
            ModuleOf(t) is { } m && t.Namespace == ModuleNamespace(m)
            && t is { IsClass: true, IsSealed: true, IsNested: false }
            && t.Name.EndsWith("Options", StringComparison.Ordinal)
            && t.GetField("SectionName", BindingFlags.Public | BindingFlags.Static) is { IsLiteral: true } f && f.FieldType == typeof(string)));
        while (pending.TryDequeue(out var type))
        {
            if (!found.Add(type))
            {
                continue;
            }

            foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                foreach (var reached in Unwrap(property.PropertyType).Where(r => r.Namespace == type.Namespace && r.Assembly == ModulesAssembly))
                {
                    pending.Enqueue(reached);
                }
            }
        }

        return found;
    }

    private static IEnumerable<Type> Unwrap(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsArray)
        {
            return Unwrap(t.GetElementType()!);
        }

        return t.IsGenericType ? [t, .. t.GetGenericArguments().SelectMany(Unwrap)] : [t];
    }

    private sealed class FullNameIs(string fullName) : ICustomRule
    {
        public bool MeetsRule(TypeDefinition type) => type.FullName == fullName || CecilName(type) == fullName;
    }
}
