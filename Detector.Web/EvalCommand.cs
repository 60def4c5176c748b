using Detector.Modules.Evaluation;
using Detector.Modules.Inference;
using Detector.Modules.Inference.Contracts;
using Detector.Modules.Models;
using Detector.Modules.Preprocessing;
using Serilog;
using Serilog.Events;

namespace Detector.Web;

/// <summary>
/// `Detector.Web eval ...`: runs a COCO dataset through the very pipeline the API uses (same
/// modules, same options), without the web server or the database.
/// </summary>
internal static class EvalCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        builder.Services.AddSerilog(c => c.MinimumLevel.Warning()
            .MinimumLevel.Override("Detector", LogEventLevel.Warning)
            .WriteTo.Console(standardErrorFromLevel: LogEventLevel.Verbose));
        builder.AddModels();
        builder.AddPreprocessing();
        builder.AddInference();
        builder.AddEvaluation();

        using var host = builder.Build();
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cts.Cancel();
        };

        await host.StartAsync(cts.Token);
        try
        {
            await host.Services.GetRequiredService<IInferenceReadiness>().WhenReady.WaitAsync(cts.Token);
            return await EvaluationModule.RunEvaluationCommandAsync(host.Services, args, Console.Out, cts.Token);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }
}
