using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Detector.Modules.Evaluation.GetEvaluationReportPage;

/// <summary>GET /v1/admin/evaluations/{id}/report.html: the evaluation's report as a self-contained HTML page with its plots.</summary>
internal static class GetEvaluationReportPageEndpoint
{
    public static async Task<ContentHttpResult> Handle(Guid id, GetEvaluationReportPageHandler handler, CancellationToken ct) =>
        TypedResults.Content(await handler.HandleAsync(id, ct), "text/html", Encoding.UTF8);
}
