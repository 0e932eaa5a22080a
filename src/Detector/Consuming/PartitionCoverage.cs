using Confluent.Kafka;

namespace SkimGuard.Detector.Consuming;

/// <summary>
/// Whether this replica holds every partition of the topics it reads. Only then does "each of my partitions is read to
/// its end" mean "every event before now is applied", which is what lets the detector run rescans by the wall clock
/// while no traffic comes. A replica holding part of the partitions (another replica has the rest, or the group has
/// given it one topic before the other) must not: it would scan terminals before events it has not seen.
/// </summary>
internal sealed class PartitionCoverage(IReadOnlyList<string> topics, Action<string> logProblem)
{
    private bool _stale = true;

    /// <summary>True when the last check found every partition of the topics assigned here.</summary>
    public bool HoldsEveryPartition { get; private set; }

    /// <summary>The assignment changed (called from the rebalance handlers): check again before the next decision.</summary>
    public void AssignmentChanged() => _stale = true;

    /// <summary>
    /// Re-checks after an assignment change, on the consume loop (not in a rebalance handler): the topics' partition
    /// counts come from a metadata request. Any failure counts as not holding everything, the safe answer.
    /// </summary>
    public void Refresh(IConsumer<string, byte[]> consumer)
    {
        if (!_stale)
            return;
        _stale = false;
        try
        {
            using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
            var total = topics.Sum(topic => admin.GetMetadata(topic, TimeSpan.FromSeconds(2)).Topics.Single().Partitions.Count);
            HoldsEveryPartition = total > 0 && consumer.Assignment.Count >= total;
        }
        catch (KafkaException e)
        {
            HoldsEveryPartition = false;
            _stale = true; // ask again at the next batch
            logProblem(e.Message);
        }
    }
}
