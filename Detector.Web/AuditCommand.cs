using System.CommandLine;
using Detector.Modules.Common.Database;
using Detector.Modules.Compliance;

namespace Detector.Web;

/// <summary>
/// `Detector.Web audit verify [--expect-head &lt;seq&gt;:&lt;hash&gt;]`: the audit log's verification
/// with the service's own code and configuration (Database:ConnectionString,
/// Compliance:AuditSubjectKey), without the web server. Read-only: it neither migrates nor writes.
/// Exit codes: 0 valid, 1 broken (or the expected head is missing or differs), 2 not checked.
/// </summary>
internal static class AuditCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var expectHead = new Option<string?>("--expect-head")
        {
            Description = "A head printed or logged earlier (<seq>:<hash>): verification fails if the chain no longer holds it, which shows a cut-off tail.",
        };
        var verify = new Command("verify", "Recomputes the audit log's hash chain and prints the result and the head to keep elsewhere.") { expectHead };
        verify.SetAction((parse, ct) => VerifyAsync(parse.GetValue(expectHead), ct));
        var root = new RootCommand("Detector's own commands.") { new Command("audit", "The audit log.") { verify } };

        return await CommandHost.InvokeAsync(root.Parse(args), "");
    }

    private static async Task<int> VerifyAsync(string? expectHead, CancellationToken ct)
    {
        var builder = CommandHost.CreateBuilder();
        builder.AddDatabase();
        builder.AddAuditVerification();
        using var host = builder.Build();
        return await ComplianceModule.VerifyAuditAsync(host.Services, expectHead, Console.Out, Console.Error, ct);
    }
}
