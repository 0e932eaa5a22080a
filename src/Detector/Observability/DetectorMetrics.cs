using Prometheus;

namespace SkimGuard.Detector.Observability;

/// <summary>
/// The detector's Prometheus metrics, in a registry of its own (two detectors in one test process must not mix
/// their counts). Served at /metrics.
/// </summary>
public sealed class DetectorMetrics
{
    public DetectorMetrics()
    {
        var factory = Metrics.WithCustomRegistry(Registry);
        Consumed = factory.CreateCounter("skimguard_detector_consumed_total", "Messages consumed, by topic.", "topic");
        Processed = factory.CreateCounter("skimguard_detector_processed_total", "Events applied by the engine for the first time, by topic.", "topic");
        Duplicates = factory.CreateCounter("skimguard_detector_duplicates_total", "Events already applied before (redelivered or resent), by topic.", "topic");
        Rejected = factory.CreateCounter("skimguard_detector_rejected_total", "Messages sent to the rejected topic, by topic and first reason code.", "topic", "reason");
        BatchSeconds = factory.CreateHistogram("skimguard_detector_batch_seconds", "Time to apply and commit one batch.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        BatchEvents = factory.CreateHistogram("skimguard_detector_batch_events", "Events applied in one batch: at most Detector:BatchSize.",
            new HistogramConfiguration { Buckets = [1, 10, 100, 300, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] });
        EventLatencySeconds = factory.CreateHistogram("skimguard_detector_event_latency_seconds", "From a message's Kafka timestamp to its batch's commit.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 18) });
        ConsumerLag = factory.CreateGauge("skimguard_detector_consumer_lag", "Messages behind the partition's end, by topic and partition.", "topic", "partition");
        Held = factory.CreateGauge("skimguard_detector_held_events", "Events held to be applied in event-time order.");
        Alerts = factory.CreateCounter("skimguard_detector_alerts_total", "Alert states published: raised, updated or withdrawn.", "status");
        CardsAtRisk = factory.CreateCounter("skimguard_detector_cards_at_risk_messages_total", "Cards-at-risk messages published.");
        RedisSeconds = factory.CreateHistogram("skimguard_detector_redis_seconds", "Redis round trips by step: a batch's read-ahead and commit, and the reads in the middle of a batch (card, terminal, base rate).",
            new HistogramConfiguration { LabelNames = ["step"], Buckets = Histogram.ExponentialBuckets(0.0001, 2, 16) });
        CaughtUp = factory.CreateGauge("skimguard_detector_caught_up", "1 when every assigned partition is read to its end and every event applied.");
        AssignedPartitions = factory.CreateGauge("skimguard_detector_assigned_partitions", "Partitions of the input topics this replica holds.");
        Model = factory.CreateGauge("skimguard_detector_model_info", "1 for the fraud model version scoring now (\"none\" without a model).", "version");
        ModelReloads = factory.CreateCounter("skimguard_detector_model_reloads_total", "Model files taken up without a restart, or refused, by outcome.", "outcome");
        Failures = factory.CreateCounter("skimguard_detector_failures_total", "Batches that failed (Kafka or Redis unavailable) and were read again.");
    }

    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();
    public Counter Consumed { get; }
    public Counter Processed { get; }
    public Counter Duplicates { get; }
    public Counter Rejected { get; }
    public Histogram BatchSeconds { get; }
    public Histogram BatchEvents { get; }
    public Histogram EventLatencySeconds { get; }
    public Gauge ConsumerLag { get; }
    public Gauge Held { get; }
    public Counter Alerts { get; }
    public Counter CardsAtRisk { get; }
    public Histogram RedisSeconds { get; }
    public Gauge CaughtUp { get; }
    public Counter Failures { get; }
    public Gauge AssignedPartitions { get; }
    public Gauge Model { get; }
    public Counter ModelReloads { get; }
}
