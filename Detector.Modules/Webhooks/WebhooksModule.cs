using Detector.Modules.Common;
using Detector.Modules.Common.Auditing;
using Detector.Modules.Tenancy.Contracts;
using Detector.Modules.Webhooks.Contracts;
using Detector.Modules.Webhooks.CreateWebhookSecret;
using Detector.Modules.Webhooks.Delivery;
using Detector.Modules.Webhooks.ListWebhookSecrets;
using Detector.Modules.Webhooks.RevokeWebhookSecret;
using Detector.Modules.Webhooks.Secrets;
using Microsoft.Extensions.Hosting;

namespace Detector.Modules.Webhooks;

/// <summary>
/// Signed webhooks: each tenant's signing secrets (created, listed, revoked through the API;
/// derived from the server's master key), and the delivery of one webhook at a time, signed,
/// through the outbound guards, with every attempt recorded and the backoff before the next.
/// It schedules nothing itself: the module that owns a delivery's state decides when it runs
/// (Jobs, for a job's completion webhook; ADR 0015).
/// </summary>
public static class WebhooksModule
{
    public static IHostApplicationBuilder AddWebhooks(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddValidatedOptions<WebhooksOptions>(WebhooksOptions.SectionName, WebhooksOptions.LegacySectionName);
        services.AddSingleton<WebhookSecretStore>();
        services.AddSingleton<IWebhookSecrets>(sp => sp.GetRequiredService<WebhookSecretStore>());
        services.AddSingleton<ITenantWebhookData>(sp => sp.GetRequiredService<WebhookSecretStore>());
        services.AddSingleton<WebhookAttemptStore>();
        services.AddSingleton<IWebhookAttempts>(sp => sp.GetRequiredService<WebhookAttemptStore>());
        services.AddSingleton<IWebhookSender, SignedWebhookSender>();
        services.AddSingleton<CreateWebhookSecretHandler>();
        return builder;
    }

    public static IEndpointRouteBuilder MapWebhooksEndpoints(this IEndpointRouteBuilder app)
    {
        var secrets = app.MapGroup("/v1/webhook-secrets").WithTags("Webhooks").RequireAuthorization(TenantClaims.TenantPolicy).RequireRateLimiting(TenantClaims.RateLimitPolicy);
        secrets.MapPost("/", CreateWebhookSecretEndpoint.Handle)
            .Audited("webhook_secret.create")
            .WithName("CreateWebhookSecret")
            .WithSummary("Creates the tenant's webhook signing secret and shows it once; current secrets keep signing for overlap_seconds (default one day).")
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        secrets.MapGet("/", ListWebhookSecretsEndpoint.Handle)
            .WithName("ListWebhookSecrets")
            .WithSummary("The tenant's webhook secrets that still sign (ids and times, never the secrets).")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        secrets.MapDelete("/{id:guid}", RevokeWebhookSecretEndpoint.Handle)
            .Audited("webhook_secret.revoke", "id")
            .WithName("RevokeWebhookSecret")
            .WithSummary("Stops a webhook secret signing at once.")
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}
