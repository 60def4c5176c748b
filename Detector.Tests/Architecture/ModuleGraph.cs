using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Detector.Tests.Architecture;

/// <summary>
/// What each module uses of the others, read from the compiled Detector.Modules assembly with
/// Mono.Cecil: every type a module's types name (signatures, fields, attributes, generic
/// arguments, and the types, methods and fields their IL touches), and every string literal
/// their IL loads (configuration keys are literals, or constants inlined as literals).
/// </summary>
internal sealed class ModuleGraph
{
    private ModuleGraph(Dictionary<string, Dictionary<string, SortedSet<string>>> edges, Dictionary<string, List<(string Type, string Literal, bool ToConfiguration)>> literals)
    {
        Edges = edges;
        Literals = literals;
    }

    /// <summary>module → module it uses → "Type -> UsedType" examples.</summary>
    public Dictionary<string, Dictionary<string, SortedSet<string>>> Edges { get; }

    /// <summary>
    /// module → string literals its code loads, with the type that loads each and whether it goes
    /// straight into a configuration API (GetSection, GetValue, an indexer, BindConfiguration...).
    /// </summary>
    public Dictionary<string, List<(string Type, string Literal, bool ToConfiguration)>> Literals { get; }

    public static ModuleGraph Load(string assemblyPath)
    {
        using var assembly = AssemblyDefinition.ReadAssembly(assemblyPath);
        var edges = new Dictionary<string, Dictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        var literals = new Dictionary<string, List<(string, string, bool)>>(StringComparer.Ordinal);
        foreach (var type in assembly.MainModule.GetTypes())
        {
            if (ModuleMap.ModuleOf(OuterNamespace(type)) is not { } module)
            {
                continue;
            }

            var uses = edges.TryGetValue(module, out var u) ? u : edges[module] = new(StringComparer.Ordinal);
            var loaded = literals.TryGetValue(module, out var l) ? l : literals[module] = [];
            foreach (var used in Referenced(type, loaded))
            {
                if (ModuleMap.ModuleOf(OuterNamespace(used)) is { } other && other != module && other != ModuleMap.Common)
                {
                    (uses.TryGetValue(other, out var why) ? why : uses[other] = new(StringComparer.Ordinal)).Add($"{type.FullName} -> {used.FullName}");
                }
            }
        }

        return new ModuleGraph(edges, literals);
    }

    /// <summary>Every cycle of the module graph, each as a path that ends where it starts.</summary>
    public List<List<string>> Cycles()
    {
        var cycles = new List<List<string>>();
        var state = new Dictionary<string, int>(StringComparer.Ordinal); // 1 on the stack, 2 done
        var stack = new List<string>();

        void Visit(string module)
        {
            state[module] = 1;
            stack.Add(module);
            foreach (var next in Edges.GetValueOrDefault(module)?.Keys.Order(StringComparer.Ordinal) ?? Enumerable.Empty<string>())
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    cycles.Add([.. stack.Skip(stack.IndexOf(next)), next]);
                }
                else if (state.GetValueOrDefault(next) == 0)
                {
                    Visit(next);
                }
            }

            stack.RemoveAt(stack.Count - 1);
            state[module] = 2;
        }

        foreach (var module in Edges.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(module) == 0)
            {
                Visit(module);
            }
        }

        return cycles;
    }

    /// <summary>Whether one of the next few instructions calls into Microsoft.Extensions.Configuration or binds options from a section.</summary>
    private static bool FeedsConfiguration(Instruction instruction)
    {
        for (var (next, i) = (instruction.Next, 0); next is not null && i < 8; next = next.Next, i++)
        {
            if (next.Operand is MethodReference m && (next.OpCode == OpCodes.Call || next.OpCode == OpCodes.Callvirt)
                && (m.DeclaringType.Namespace.StartsWith("Microsoft.Extensions.Configuration", StringComparison.Ordinal) || m.Name == "BindConfiguration"))
            {
                return true;
            }
        }

        return false;
    }

    private static string? OuterNamespace(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
        {
            type = outer;
        }

        return type.Namespace;
    }

    private static List<TypeReference> Referenced(TypeDefinition type, List<(string, string, bool)> literals)
    {
        var found = new List<TypeReference>();
        void Add(TypeReference? t)
        {
            switch (t)
            {
                case null:
                    return;
                case GenericInstanceType g:
                    Add(g.ElementType);
                    g.GenericArguments.ToList().ForEach(Add);
                    return;
                case TypeSpecification spec:
                    Add(spec.ElementType);
                    return;
                default:
                    found.Add(t);
                    return;
            }
        }

        void AddAttributes(ICustomAttributeProvider provider)
        {
            foreach (var attribute in provider.CustomAttributes)
            {
                Add(attribute.AttributeType);
            }
        }

        Add(type.BaseType);
        type.Interfaces.ToList().ForEach(i => Add(i.InterfaceType));
        AddAttributes(type);
        foreach (var field in type.Fields)
        {
            Add(field.FieldType);
            AddAttributes(field);
            if (field.HasConstant && field.Constant is string constant)
            {
                literals.Add((type.FullName, constant, false));
            }
        }

        foreach (var property in type.Properties)
        {
            Add(property.PropertyType);
            AddAttributes(property);
        }

        foreach (var method in type.Methods)
        {
            Add(method.ReturnType);
            AddAttributes(method);
            method.Parameters.ToList().ForEach(p => Add(p.ParameterType));
            if (!method.HasBody)
            {
                continue;
            }

            method.Body.Variables.ToList().ForEach(v => Add(v.VariableType));
            foreach (var instruction in method.Body.Instructions)
            {
                switch (instruction.Operand)
                {
                    case TypeReference t:
                        Add(t);
                        break;
                    case MethodReference m:
                        Add(m.DeclaringType);
                        Add(m.ReturnType);
                        m.Parameters.ToList().ForEach(p => Add(p.ParameterType));
                        if (m is GenericInstanceMethod gm)
                        {
                            gm.GenericArguments.ToList().ForEach(Add);
                        }

                        break;
                    case FieldReference f:
                        Add(f.DeclaringType);
                        Add(f.FieldType);
                        break;
                    case string s when instruction.OpCode == OpCodes.Ldstr:
                        literals.Add((type.FullName, s, FeedsConfiguration(instruction)));
                        break;
                }
            }
        }

        return found;
    }
}
