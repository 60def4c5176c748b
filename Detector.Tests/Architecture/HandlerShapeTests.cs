using System.ComponentModel;
using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Hosting;

namespace Detector.Tests.Architecture;

/// <summary>
/// Endpoints only bind and answer, and a use case's handler needs few services (issue 21): no
/// endpoint delegate or handler takes more than <see cref="MaxServices"/> injected services, and no
/// production file (a module's or the host's) is longer than <see cref="MaxLines"/> lines.
/// </summary>
public sealed class HandlerShapeTests
{
    private const int MaxServices = 6;
    private const int MaxLines = 300;

    private static IReadOnlyList<string> Modules => ModuleMap.Modules;

    private static readonly HashSet<Type> NotServices = [typeof(HttpContext), typeof(HttpRequest), typeof(ClaimsPrincipal), typeof(CancellationToken)];

    [Fact]
    public void No_endpoint_or_handler_takes_more_than_six_injected_services()
    {
        var types = Modules.SelectMany(m => ModuleMap.Assemblies[m].GetTypes()).Where(t => !t.Name.Contains('<', StringComparison.Ordinal)).ToList();
        var counted = new List<(string Name, int Services)>();
        foreach (var endpoint in types.Where(t => t is { IsAbstract: true, IsSealed: true } && t.Name.EndsWith("Endpoint", StringComparison.Ordinal)))
        {
            foreach (var method in endpoint.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly)
                         .Where(m => m.Name == "Handle"))
            {
                counted.Add(($"{endpoint.FullName}.{method.Name}", method.GetParameters().Count(IsService)));
            }
        }

        foreach (var handler in types.Where(IsHandler))
        {
            var widest = handler.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance).Max(c => c.GetParameters().Length);
            counted.Add((handler.FullName!, widest));
        }

        Assert.True(counted.Count >= 12, "endpoints and handlers found: " + counted.Count);
        var over = counted.Where(c => c.Services > MaxServices).Select(c => $"{c.Name}: {c.Services} services").ToList();
        Assert.True(over.Count == 0, $"Endpoints and handlers with more than {MaxServices} injected services (group related ones into a focused class):" + Environment.NewLine + ModuleMap.Describe(over));
    }

    [Fact]
    public void No_production_file_is_longer_than_three_hundred_lines()
    {
        var folders = Modules.Select(m => Path.Combine(TestPaths.RepoRoot, "Detector.Modules", m)).Append(Path.Combine(TestPaths.RepoRoot, "Detector.Web"));
        var files = folders.SelectMany(folder => Directory.EnumerateFiles(folder, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(files);
        var tooLong = files.Select(f => (File: Path.GetRelativePath(TestPaths.RepoRoot, f), Lines: File.ReadAllLines(f).Length)).Where(f => f.Lines > MaxLines)
            .Select(f => $"{f.File}: {f.Lines} lines").ToList();
        Assert.True(tooLong.Count == 0, $"Files over {MaxLines} lines (split along a real seam):" + Environment.NewLine + ModuleMap.Describe(tooLong));
    }

    /// <summary>A use case's handler: named so, a Hangfire job class (its job methods carry a display name), or a hosted service.</summary>
    private static bool IsHandler(Type type) =>
        type is { IsClass: true, IsAbstract: false }
        && (type.Name.EndsWith("Handler", StringComparison.Ordinal)
            || typeof(BackgroundService).IsAssignableFrom(type)
            || type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly).Any(m => m.IsDefined(typeof(DisplayNameAttribute))));

    /// <summary>An endpoint delegate's parameter the container supplies: not the request's context, route, query, header or body.</summary>
    private static bool IsService(ParameterInfo parameter)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        return !NotServices.Contains(type)
               && !type.IsPrimitive && type != typeof(string) && type != typeof(Guid) && type != typeof(DateTimeOffset) && !type.IsEnum
               && !parameter.IsDefined(typeof(AsParametersAttribute))
               && !parameter.GetCustomAttributes().Any(a => a is IFromQueryMetadata or IFromRouteMetadata or IFromHeaderMetadata or IFromBodyMetadata or IFromFormMetadata);
    }
}
