using Detector.Modules.Common.Database;
using Detector.Modules.Compliance;
using Detector.Modules.Datasets;
using Detector.Modules.Evaluation;
using Detector.Modules.Images;
using Detector.Modules.Detection;
using Detector.Modules.Inference;
using Detector.Modules.Jobs;
using Detector.Modules.Labeling;
using Detector.Modules.Models;
using Detector.Modules.Monitoring;
using Detector.Modules.Outbound;
using Detector.Modules.Preprocessing;
using Detector.Modules.Results;
using Detector.Modules.Rollouts;
using Detector.Modules.Tenancy;
using Detector.Modules.Training;
using Detector.Modules.Webhooks;
using Detector.Web;
using Detector.Web.Infrastructure;

if (Commands.TryRun(args) is { } command)
{
    return await command;
}

// The content root is the app folder, so appsettings and manifests are found whatever the
// working directory; relative data paths (models, image store) still resolve against the latter.
var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.AddServiceDefaults();
builder.AddDatabase();
builder.AddTenancy();
builder.AddImages();
builder.AddModels();
builder.AddPreprocessing();
builder.AddInference();
builder.AddResults();
builder.AddDetection();
builder.AddOutbound();
builder.AddWebhooks();
builder.AddJobs();
builder.AddEvaluation();
builder.AddRollouts();
builder.AddMonitoring();
builder.AddLabeling();
builder.AddDatasets();
builder.AddTraining();
builder.AddCompliance();

var app = builder.Build();
app.UseLastChanceHandler();
if (!await app.ValidateAndMigrateAsync())
{
    return 1;
}

app.UseServiceDefaults();
app.MapServiceDefaults();
app.MapTenancyEndpoints();
app.MapImagesEndpoints();
app.MapModelsEndpoints();
app.MapPreprocessingEndpoints();
app.MapInferenceEndpoints();
app.MapResultsEndpoints();
app.MapDetectionEndpoints();
app.MapOutboundEndpoints();
app.MapWebhooksEndpoints();
app.MapJobsEndpoints();
app.MapEvaluationEndpoints();
app.MapMonitoringEndpoints();
app.MapRolloutsEndpoints();
app.MapLabelingEndpoints();
app.MapDatasetsEndpoints();
app.MapTrainingEndpoints();
app.MapComplianceEndpoints();

await app.RunAsync();
return 0;

/// <summary>Entry point type for WebApplicationFactory in the tests.</summary>
public partial class Program;
