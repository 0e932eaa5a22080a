using Confluent.Kafka;
using SkimGuard.Engine.Replay;

namespace SkimGuard.Detector.Consuming;

/// <summary>
/// Puts events from many partitions of two topics back into event-time order before the engine sees them, as the
/// backtest's merge of sorted files does. Each partition is in order by itself; an event is released once every
/// partition still sending has moved past its time (less the allowed lateness): the watermark. A partition that is
/// caught up (Kafka reported its end) does not hold the watermark back, so light traffic is not delayed.
/// <para>
/// It also says which offsets may be stored: a partition's offset advances only past messages already released or
/// rejected, so that the events still held are read again after a crash or a rebalance.
/// </para>
/// </summary>
internal sealed class EventTimeOrder(TimeSpan lateness, int maxBuffered)
{
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
    // The same states by topic and number: a consumed message names its partition so, and Confluent builds a new
    // TopicPartition each time one is asked of it.
    private readonly Dictionary<(string Topic, int Partition), PartitionState> _byName = [];
    private readonly PriorityQueue<Held, HeldKey> _held = new();
    private readonly List<(ReplayEvent Event, DateTime ProducedAt)> _ready = [];
    private PartitionState? _lastAdded;

    /// <summary>Events held, waiting for the watermark.</summary>
    public int Count => _held.Count;

    /// <summary>True when every assigned partition has reported its end and nothing is held: the detector is idle.</summary>
    public bool Idle => _held.Count == 0 && _partitions.Count > 0 && _partitions.Values.All(p => p.CaughtUp);

    /// <summary>Starts following newly assigned partitions.</summary>
    public void Assign(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
            if (!_partitions.ContainsKey(partition))
            {
                var state = new PartitionState(partition);
                _partitions.Add(partition, state);
                _byName.Add((partition.Topic, partition.Partition.Value), state);
            }
    }

    /// <summary>
    /// Forgets revoked or lost partitions and drops their held events: their offsets were not stored past those
    /// events, so the partitions' next owner reads them again.
    /// </summary>
    public void Revoke(IEnumerable<TopicPartition> partitions)
    {
        var gone = partitions.ToHashSet();
        foreach (var partition in gone)
        {
            _partitions.Remove(partition);
            _byName.Remove((partition.Topic, partition.Partition.Value));
        }
        _lastAdded = null;
        if (gone.Count == 0 || _held.Count == 0)
            return;
        var kept = _held.UnorderedItems.Where(h => !gone.Contains(h.Element.State.Partition)).ToList();
        _held.Clear();
        foreach (var (element, priority) in kept)
            _held.Enqueue(element, priority);
    }

    /// <summary>Forgets everything: after a failure the consumer seeks back to <see cref="ResumePoints"/> and reads again.</summary>
    public void Reset()
    {
        _held.Clear();
        foreach (var state in _partitions.Values)
        {
            state.Pending.Clear();
            state.Next = state.Resume;
            state.Latest = DateTimeOffset.MinValue;
            state.CaughtUp = false;
        }
    }

    /// <summary>Takes in a message: its event, or null when it was rejected (its offset is then done once the rejection is delivered).</summary>
    public void Add(TopicPartitionOffset source, ReplayEvent? e, DateTime producedAt = default) =>
        Add(source.Topic, source.Partition.Value, source.Offset.Value, e, producedAt);

    /// <inheritdoc cref="Add(TopicPartitionOffset, ReplayEvent?, DateTime)"/>
    public void Add(string topic, int partition, long offset, ReplayEvent? e, DateTime producedAt = default)
    {
        // Messages come in runs from one partition: the last one's state usually serves without a look-up.
        var state = _lastAdded is { } last && last.Partition.Partition.Value == partition && last.Partition.Topic == topic
            ? last
            : _byName.GetValueOrDefault((topic, partition));
        if (state is null)
            return; // a message fetched just before its partition was revoked
        _lastAdded = state;
        state.CaughtUp = false;
        state.Next = offset + 1;
        state.Resume ??= offset;
        if (e is not { } ev)
            return;
        state.Pending.Add(offset);
        if (ev.Time > state.Latest)
            state.Latest = ev.Time;
        _held.Enqueue(new Held(state, offset, ev, producedAt), new HeldKey(ev.Time.UtcTicks, ev.Transaction is null ? 1 : 0, topic, partition, offset));
    }

    /// <summary>Kafka reported the end of a partition: nothing newer is on its way for now.</summary>
    public void CaughtUp(TopicPartition partition)
    {
        if (_partitions.TryGetValue(partition, out var state))
            state.CaughtUp = true;
    }

    /// <summary>
    /// The events the watermark has passed, oldest first, at most <paramref name="max"/>, with when each was produced
    /// (for the latency metric); beyond the buffer's bound, the oldest regardless. The list is reused: it holds until
    /// the next call. What the cap leaves behind is ready at the next call (<see cref="HasReady"/>).
    /// </summary>
    public IReadOnlyList<(ReplayEvent Event, DateTime ProducedAt)> TakeReady(int max = int.MaxValue)
    {
        var watermark = Watermark();
        _ready.Clear();
        while (_ready.Count < max && _held.TryPeek(out var held, out var key) && (key.Ticks <= watermark.UtcTicks || _held.Count > maxBuffered))
        {
            _held.Dequeue();
            held.State.Pending.Remove(held.Offset);
            _ready.Add((held.Event, held.ProducedAt));
        }
        return _ready;
    }

    /// <summary>True when the next <see cref="TakeReady"/> would release something without another message read.</summary>
    public bool HasReady => _held.TryPeek(out _, out var key) && (key.Ticks <= Watermark().UtcTicks || _held.Count > maxBuffered);

    /// <summary>
    /// The offset each partition may store once what was released so far is committed: its oldest message still held,
    /// or the one after its last. Taken when a batch is handed to the engine; <see cref="Stored"/> once it is committed.
    /// </summary>
    public List<TopicPartitionOffset> Committable()
    {
        var offsets = new List<TopicPartitionOffset>(_partitions.Count);
        foreach (var (partition, state) in _partitions)
        {
            if (state.Next is { } next)
                offsets.Add(new TopicPartitionOffset(partition, state.Pending.Oldest ?? next));
        }
        return offsets;
    }

    /// <summary>
    /// The consumer is about to store these offsets: a failure from now on reads the partitions again from them.
    /// Returns those of partitions still assigned (one revoked or lost since the offsets were taken is not ours to store).
    /// </summary>
    public List<TopicPartitionOffset> Stored(IEnumerable<TopicPartitionOffset> offsets)
    {
        var stored = new List<TopicPartitionOffset>();
        foreach (var offset in offsets)
        {
            if (_partitions.TryGetValue(offset.TopicPartition, out var state))
            {
                state.Resume = offset.Offset.Value;
                stored.Add(offset);
            }
        }
        return stored;
    }

    /// <summary>Where each partition must be read again from after a failure (the last stored offset, or its first message read).</summary>
    public IEnumerable<TopicPartitionOffset> ResumePoints() =>
        _partitions.Where(p => p.Value.Resume is not null).Select(p => new TopicPartitionOffset(p.Key, p.Value.Resume!.Value));

    /// <summary>The latest event time every partition still sending has reached, less the lateness.</summary>
    private DateTimeOffset Watermark()
    {
        var slowest = DateTimeOffset.MaxValue;
        foreach (var state in _partitions.Values)
        {
            if (state.CaughtUp)
                continue;
            // A partition that has sent nothing yet holds everything back until it does or reports its end.
            if (state.Latest < slowest)
                slowest = state.Latest;
        }
        return slowest == DateTimeOffset.MaxValue || slowest == DateTimeOffset.MinValue ? slowest : slowest - lateness;
    }

    private sealed class PartitionState(TopicPartition partition)
    {
        public TopicPartition Partition { get; } = partition;
        public DateTimeOffset Latest { get; set; } = DateTimeOffset.MinValue;
        public bool CaughtUp { get; set; }
        public long? Next { get; set; }
        public long? Resume { get; set; }
        public PendingOffsets Pending { get; } = new();
    }

    private readonly record struct Held(PartitionState State, long Offset, ReplayEvent Event, DateTime ProducedAt);

    /// <summary>
    /// Release order: event time, then a transaction before a report of the same instant (as the backtest merges), then
    /// where the message came from. Compared field by field, ordinally: this runs for every event.
    /// </summary>
    private readonly record struct HeldKey(long Ticks, int Kind, string Topic, int Partition, long Offset) : IComparable<HeldKey>
    {
        public int CompareTo(HeldKey other)
        {
            var c = Ticks.CompareTo(other.Ticks);
            if (c == 0) c = Kind.CompareTo(other.Kind);
            if (c == 0) c = string.CompareOrdinal(Topic, other.Topic);
            if (c == 0) c = Partition.CompareTo(other.Partition);
            return c != 0 ? c : Offset.CompareTo(other.Offset);
        }
    }

    /// <summary>
    /// A partition's offsets still held, oldest first. They are added in offset order and mostly released in it (a
    /// partition is in event-time order by itself), so a queue serves, with a set for the few released out of turn.
    /// </summary>
    private sealed class PendingOffsets
    {
        private readonly Queue<long> _inOrder = new();
        private readonly HashSet<long> _releasedEarly = [];

        /// <summary>The oldest offset still held, or null when none is.</summary>
        public long? Oldest => _inOrder.Count > 0 ? _inOrder.Peek() : null;

        public void Add(long offset) => _inOrder.Enqueue(offset);

        public void Remove(long offset)
        {
            if (_inOrder.Count == 0 || _inOrder.Peek() != offset)
            {
                _releasedEarly.Add(offset);
                return;
            }
            _inOrder.Dequeue();
            while (_inOrder.Count > 0 && _releasedEarly.Remove(_inOrder.Peek()))
                _inOrder.Dequeue();
        }

        public void Clear()
        {
            _inOrder.Clear();
            _releasedEarly.Clear();
        }
    }
}
