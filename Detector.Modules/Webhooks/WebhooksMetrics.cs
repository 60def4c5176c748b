using Prometheus;

namespace Detector.Modules.Webhooks;

/// <summary>Prometheus series of webhook deliveries.</summary>
internal static class WebhooksMetrics
{
    public static readonly Counter Deliveries = Metrics.CreateCounter(
        "detector_webhook_deliveries_total", "Webhook delivery attempts by outcome (delivered, retry, gave_up).", new CounterConfiguration { LabelNames = ["outcome"] });
}
