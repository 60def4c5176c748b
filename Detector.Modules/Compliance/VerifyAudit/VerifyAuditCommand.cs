using System.Globalization;
using Detector.Modules.Compliance.Audit;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Detector.Modules.Compliance.VerifyAudit;

/// <summary>
/// <c>audit verify [--expect-head &lt;seq&gt;:&lt;hash&gt;]</c>: the endpoint's verification from a
/// shell, for an operator or a cron job that keeps the heads it prints. Read-only. Exit codes:
/// 0 the chain verifies (and the expected head is in it), 1 it does not, 2 it could not be checked.
/// </summary>
internal static class VerifyAuditCommand
{
    public const int Valid = 0;
    public const int Broken = 1;
    public const int Failed = 2;

    public static async Task<int> RunAsync(IServiceProvider services, string? expectHead, TextWriter output, TextWriter error, CancellationToken ct)
    {
        AuditHead? expected = null;
        if (expectHead is not null && !AuditHead.TryParse(expectHead, out expected))
        {
            await error.WriteLineAsync($"audit verify: --expect-head must be {AuditHead.FormatHelp}.");
            return Failed;
        }

        AuditVerification verification;
        try
        {
            verification = await services.GetRequiredService<AuditVerifier>().VerifyAsync(expected, ct);
        }
        catch (OptionsValidationException ex)
        {
            await error.WriteLineAsync("audit verify: invalid configuration: " + string.Join("; ", ex.Failures));
            return Failed;
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.UndefinedFunction)
        {
            // Read-only, so it does not migrate: the service does, when it starts.
            await error.WriteLineAsync($"audit verify: the database has no audit log of this version ({ex.MessageText}); start the service once to migrate it.");
            return Failed;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            await error.WriteLineAsync("audit verify: could not read the audit log: " + ex.Message);
            return Failed;
        }

        await output.WriteLineAsync(Describe(verification));
        return verification.Valid ? Valid : Broken;
    }

    private static string Describe(AuditVerification v)
    {
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"audit verify: {(v.Valid ? "valid" : "BROKEN")}, {v.Entries} entries") +
                (v.FromSeq is { } from ? string.Create(CultureInfo.InvariantCulture, $" (seq {from} to {v.HeadSeq})") : ""),
        };
        if (v.Checkpoint is { } c)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"checkpoint: the chain starts at seq {c.Seq}, linked to {c.PrevHash} (retention deleted the entries before it; latest run {c.At:u})"));
        }

        if (v.ExpectedHead is { } anchor)
        {
            lines.Add($"expected head {anchor.Seq.ToString(CultureInfo.InvariantCulture)}:{anchor.Hash}: {anchor.Status}");
        }

        lines.AddRange(v.Problems.Select(p => string.Create(CultureInfo.InvariantCulture, $"problem: seq {p.Seq}: {p.Problem}")));
        lines.Add(v.HeadSeq is { } seq ? "head: " + new AuditHead(seq, v.HeadHash!) : "head: none (the log is empty)");
        return string.Join(Environment.NewLine, lines);
    }
}
