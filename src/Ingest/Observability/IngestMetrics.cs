using Prometheus;

namespace SkimGuard.Ingest.Observability;

/// <summary>Ingest's Prometheus metrics, in a registry of its own; served at /metrics.</summary>
public sealed class IngestMetrics
{
    public IngestMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Accepted = factory.CreateCounter("skimguard_ingest_accepted_total", "Records accepted and acknowledged by Kafka, by bank, kind and path.", "bank", "kind", "path");
        Duplicates = factory.CreateCounter("skimguard_ingest_duplicates_total", "Records already accepted within the duplicate window, by bank and kind.", "bank", "kind");
        Rejected = factory.CreateCounter("skimguard_ingest_rejected_total", "Records rejected, by bank, kind, path and first reason code.", "bank", "kind", "path", "reason");
        RequestSeconds = factory.CreateHistogram("skimguard_ingest_request_seconds", "Time to answer a feed request, by status code.",
            new HistogramConfiguration { LabelNames = ["status"], Buckets = Histogram.ExponentialBuckets(0.001, 1.5, 24) });
        DeliverySeconds = factory.CreateHistogram("skimguard_ingest_kafka_delivery_seconds", "Time for Kafka to acknowledge a request's records.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 1.5, 24) });
        Refused = factory.CreateCounter("skimguard_ingest_refused_requests_total", "Requests refused whole, by status code (401, 413, 415, 429, 503).", "status");
        ConsumerLag = factory.CreateGauge("skimguard_ingest_consumer_lag", "The Kafka path's messages not yet committed, by topic and partition held here.", "topic", "partition");
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Counter Accepted { get; }
    public Counter Duplicates { get; }
    public Counter Rejected { get; }
    public Histogram RequestSeconds { get; }
    public Histogram DeliverySeconds { get; }
    public Counter Refused { get; }
    public Gauge ConsumerLag { get; }
}
