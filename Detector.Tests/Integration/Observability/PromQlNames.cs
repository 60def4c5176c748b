using System.Text.Json;
using System.Text.RegularExpressions;

namespace Detector.Tests.Integration.Observability;

/// <summary>
/// The queries of the shipped rules and dashboard, and the metric names they read. Not a PromQL
/// parser: what is left once strings, label matchers, ranges, grouping clauses and Grafana
/// variables are cut out is operators, numbers, function names (followed by a parenthesis),
/// keywords and metric names, which is all the name check needs. promtool parses the same
/// queries for real (PromtoolTests).
/// </summary>
internal static partial class PromQlNames
{
    private static readonly string[] HistogramSuffixes = ["_bucket", "_count", "_sum"];

    /// <summary>Whether <paramref name="name"/> is one <paramref name="known"/> accepts, or a histogram's _bucket/_sum/_count of one.</summary>
    public static bool IsSeriesOf(string name, Func<string, bool> known) =>
        known(name) || HistogramSuffixes.Any(s => name.EndsWith(s, StringComparison.Ordinal) && known(name[..^s.Length]));

    private static readonly HashSet<string> Keywords = new(StringComparer.Ordinal)
    {
        "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "inf", "nan",
    };

    /// <summary>Metric names read by <paramref name="expr"/>, recorded series (with a colon) included.</summary>
    public static IEnumerable<string> In(string expr)
    {
        var rest = StringLiteral().Replace(expr, "\"\"");
        rest = Matchers().Replace(rest, " ");
        rest = Ranges().Replace(rest, " ");
        rest = Grouping().Replace(rest, " ");
        rest = GrafanaVariable().Replace(rest, " ");
        foreach (Match m in Identifier().Matches(rest))
        {
            var after = rest.AsSpan(m.Index + m.Length).TrimStart();
            if (!Keywords.Contains(m.Value) && (after.IsEmpty || after[0] != '('))
            {
                yield return m.Value;
            }
        }
    }

    /// <summary>The expr of every rule in a Prometheus rule file (one line, or a | block).</summary>
    public static IReadOnlyList<string> RuleExpressions(string ruleFile)
    {
        var exprs = new List<string>();
        var lines = File.ReadAllLines(ruleFile);
        for (var i = 0; i < lines.Length; i++)
        {
            var m = ExprLine().Match(lines[i]);
            if (!m.Success)
            {
                continue;
            }

            var value = m.Groups["value"].Value.Trim();
            if (value is "|" or ">" or "|-" or ">-")
            {
                var indent = m.Groups["indent"].Value.Length;
                var block = new List<string>();
                while (i + 1 < lines.Length && (lines[i + 1].Trim().Length == 0 || Indent(lines[i + 1]) > indent))
                {
                    block.Add(lines[++i].Trim());
                }

                value = string.Join(' ', block);
            }

            exprs.Add(value.Trim('\'', '"'));
        }

        return exprs;
    }

    /// <summary>The names a rule file records (record: name).</summary>
    public static IReadOnlySet<string> RecordedNames(string ruleFile) =>
        File.ReadAllLines(ruleFile).Select(l => RecordLine().Match(l)).Where(m => m.Success).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    /// <summary>Every target expr of a Grafana dashboard, rows and nested panels included.</summary>
    public static IReadOnlyList<string> DashboardExpressions(string dashboardFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(dashboardFile));
        var exprs = new List<string>();
        Collect(doc.RootElement, exprs);
        return exprs;
    }

    private static void Collect(JsonElement element, List<string> exprs)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                {
                    exprs.Add(property.Value.GetString()!);
                }
                else
                {
                    Collect(property.Value, exprs);
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, exprs);
            }
        }
    }

    private static int Indent(string line) => line.Length - line.TrimStart().Length;

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\$\{?\w+\}?")]
    private static partial Regex GrafanaVariable();

    // Not inside a number (1e-9, 10m) or after a dot.
    [GeneratedRegex(@"(?<![\w.:])[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^(?<indent>\s*)(?:-\s+)?expr:\s*(?<value>.*)$")]
    private static partial Regex ExprLine();

    [GeneratedRegex(@"^\s*-?\s*record:\s*(?<name>\S+)\s*$")]
    private static partial Regex RecordLine();
}
