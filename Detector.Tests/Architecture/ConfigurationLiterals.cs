using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Detector.Tests.Architecture;

/// <summary>
/// The string literals each module's code holds (constants and ldstr), and whether one flows into
/// a configuration API within a few instructions: what "reading a configuration key" looks like
/// in IL, which the compiler cannot see.
/// </summary>
internal static class ConfigurationLiterals
{
    public static IReadOnlyList<(string Type, string Literal, bool ToConfiguration)> Of(string module)
    {
        using var assembly = AssemblyDefinition.ReadAssembly(ModuleMap.Assemblies[module].Location);
        var found = new List<(string, string, bool)>();
        foreach (var type in assembly.MainModule.GetTypes())
        {
            foreach (var field in type.Fields.Where(f => f.HasConstant && f.Constant is string))
            {
                found.Add((type.FullName, (string)field.Constant, false));
            }

            foreach (var method in type.Methods.Where(m => m.HasBody))
            {
                foreach (var instruction in method.Body.Instructions.Where(i => i.OpCode == OpCodes.Ldstr && i.Operand is string))
                {
                    found.Add((type.FullName, (string)instruction.Operand, FeedsConfiguration(instruction)));
                }
            }
        }

        return found;
    }

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
}
