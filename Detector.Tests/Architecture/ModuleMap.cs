using System.Reflection;
using System.Runtime.CompilerServices;

namespace Detector.Tests.Architecture;

/// <summary>
/// The modules as compiled: one assembly each (<c>Detector.Modules.M</c>), whose project
/// references are the allowed dependencies (the compiler refuses a use of another module's
/// internals or of a module not referenced, and a cycle). What is left for these tests is what
/// the compiler cannot see: which public types a module may have, its entry class's shape, and
/// whose configuration section it reads.
/// <list type="bullet">
/// <item>the entry class <c>Detector.Modules.M.MModule</c> (public static) is for the host only;</item>
/// <item><c>Detector.Modules.M.Contracts</c> is what other modules and the host may use;</item>
/// <item>Detector.Modules.Common is the shared kernel, public throughout;</item>
/// <item>configuration types: a public sealed class in the module root namespace named *Options with a
/// <c>SectionName</c> constant, plus the types of the same namespace its public properties reach.</item>
/// </list>
/// </summary>
internal static class ModuleMap
{
    public const string Root = "Detector.Modules";
    public const string Common = "Common";

    /// <summary>Every module assembly beside the tests, by module name.</summary>
    public static readonly IReadOnlyDictionary<string, Assembly> Assemblies = Directory
        .GetFiles(AppContext.BaseDirectory, Root + ".*.dll")
        .Select(path => Assembly.LoadFrom(path))
        .ToDictionary(a => a.GetName().Name![(Root.Length + 1)..], StringComparer.Ordinal);

    public static IReadOnlyList<string> Modules => [.. Assemblies.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Types written in the modules, without compiler-generated helpers (source generators put theirs in System.* namespaces).</summary>
    public static readonly IReadOnlyList<Type> SourceTypes =
        [.. Assemblies.Values.SelectMany(a => a.GetTypes()).Where(t => t.Namespace is { } ns && ns.StartsWith(Root + ".", StringComparison.Ordinal) && !IsCompilerGenerated(t))];

    private static readonly HashSet<Type> ConfigurationTypes = FindConfigurationTypes();

    /// <summary>The module a type's assembly is.</summary>
    public static string ModuleOf(Type type) => type.Assembly.GetName().Name![(Root.Length + 1)..];

    public static string ModuleNamespace(string module) => $"{Root}.{module}";

    public static string ContractsNamespace(string module) => $"{Root}.{module}.Contracts";

    public static bool IsContracts(Type type) =>
        ModuleOf(type) is var m && m != Common
        && (type.Namespace == ContractsNamespace(m) || type.Namespace!.StartsWith(ContractsNamespace(m) + ".", StringComparison.Ordinal));

    public static bool IsEntry(Type type) =>
        ModuleOf(type) is var m && m != Common
        && type.Namespace == ModuleNamespace(m) && type.Name == m + "Module" && type.IsAbstract && type.IsSealed && !type.IsNested;

    /// <summary>Where a public type may live: entry class, contracts, shared kernel or configuration.</summary>
    public static bool IsAllowedPublic(Type type) =>
        IsEntry(type) || IsContracts(type) || ModuleOf(type) == Common || ConfigurationTypes.Contains(type);

    public static string Describe(IEnumerable<string> violations) => string.Join(Environment.NewLine, violations.Select(v => "  " + v));

    private static bool IsCompilerGenerated(Type type) =>
        type.IsDefined(typeof(CompilerGeneratedAttribute), inherit: false) || type.Name.Contains('<', StringComparison.Ordinal);

    private static HashSet<Type> FindConfigurationTypes()
    {
        var found = new HashSet<Type>();
        var pending = new Queue<Type>(SourceTypes.Where(t =>
            t.Namespace == ModuleNamespace(ModuleOf(t))
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
                foreach (var reached in Unwrap(property.PropertyType).Where(r => r.Namespace == type.Namespace && r.Assembly == type.Assembly))
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
}
