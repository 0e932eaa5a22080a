using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Detector.Consuming;
using SkimGuard.Engine.Replay;

namespace SkimGuard.Detector.Tests;

public sealed class EventTimeOrderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TopicPartition P0 = new("tx", 0), P1 = new("tx", 1), R0 = new("reports", 0);

    private static ReplayEvent Tx(string id, int minute) => ReplayEvent.Of(new Transaction
    {
        TxnId = id, BankId = "sbi", CardToken = "ct_x", TerminalId = "ATM-1", TerminalType = TerminalType.Atm, Timestamp = T0.AddMinutes(minute),
        AmountMinor = 100, Currency = "INR", EntryMode = EntryMode.Chip, TxnType = TxnType.Withdrawal, Approved = true, Country = "IN",
    });

    private static ReplayEvent Report(string id, int minute) => ReplayEvent.Of(new FraudReport
    {
        ReportId = id, BankId = "sbi", CardToken = "ct_x", ReportedAt = T0.AddMinutes(minute), FraudType = FraudType.Counterfeit,
    });

    private static List<string> Ids(IReadOnlyList<(ReplayEvent Event, DateTime ProducedAt)> ready) =>
        [.. ready.Select(r => r.Event.Transaction?.TxnId ?? r.Event.Report!.ReportId)];

    [Fact]
    public void EventsFromSeveralPartitionsComeOutInEventTimeOrderOnceEveryPartitionHasPassedThem()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, 1000);
        order.Assign([P0, P1]);
        order.Add(new(P0, 0), Tx("a", 1));
        order.Add(new(P0, 1), Tx("c", 5));

        Assert.Empty(order.TakeReady()); // P1 has said nothing yet: it may still send something older

        order.Add(new(P1, 0), Tx("b", 3));
        Assert.Equal(["a", "b"], Ids(order.TakeReady())); // P1 is at minute 3: c (minute 5) waits

        order.CaughtUp(P1);
        Assert.Equal(["c"], Ids(order.TakeReady())); // P1 is at its end: it no longer holds the order back
        Assert.True(order.Idle is false); // P0 has not reported its end
        order.CaughtUp(P0);
        Assert.True(order.Idle);
    }

    [Fact]
    public void ABatchTakesAtMostItsSizeAndLeavesTheRestReadyInOrderWithTheirOffsetsUnstored()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, 1000);
        order.Assign([P0, P1]);
        order.Add(new(P0, 0), Tx("a", 1));
        order.Add(new(P0, 1), Tx("c", 3));
        order.Add(new(P1, 0), Tx("b", 2));
        order.Add(new(P1, 1), Tx("d", 4));
        order.CaughtUp(P0);
        order.CaughtUp(P1);

        Assert.Equal(["a", "b"], Ids(order.TakeReady(max: 2)));
        Assert.True(order.HasReady);
        Assert.False(order.Idle);
        // c and d are still held: their partitions may store only up to them.
        Assert.Equal([new TopicPartitionOffset(P0, 1), new TopicPartitionOffset(P1, 1)], order.Committable());

        Assert.Equal(["c", "d"], Ids(order.TakeReady(max: 2)));
        Assert.False(order.HasReady);
        Assert.True(order.Idle);
    }

    [Fact]
    public void AtEqualTimesATransactionGoesBeforeAReportAsInTheBacktest()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, 1000);
        order.Assign([P0, R0]);
        order.Add(new(R0, 0), Report("r", 2));
        order.Add(new(P0, 0), Tx("t", 2));
        order.CaughtUp(P0);
        order.CaughtUp(R0);

        Assert.Equal(["t", "r"], Ids(order.TakeReady()));
    }

    [Fact]
    public void AStoredOffsetNeverPassesAnEventStillHeld()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, 1000);
        order.Assign([P0, P1]);
        order.Add(new(P0, 10), Tx("a", 1));
        order.Add(new(P0, 11), null); // rejected: done as soon as its rejection is delivered
        order.Add(new(P0, 12), Tx("c", 9));
        order.Add(new(P1, 40), Tx("b", 4));

        Assert.Equal(["a", "b"], Ids(order.TakeReady()));
        Assert.Equal([new TopicPartitionOffset(P0, 12), new TopicPartitionOffset(P1, 41)], order.Committable().OrderBy(o => o.Partition.Value));
    }

    [Fact]
    public void ALateEventReleasedBeforeOlderOffsetsOfItsPartitionDoesNotMoveTheStoredOffsetPastThem()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, 1000);
        order.Assign([P0, P1]);
        order.Add(new(P0, 0), Tx("a", 5));
        order.Add(new(P0, 1), Tx("late", 1)); // a late event, behind its own partition
        order.Add(new(P0, 2), Tx("c", 8));
        order.Add(new(P1, 0), Tx("b", 2));

        Assert.Equal(["late", "b"], Ids(order.TakeReady())); // P1 is at minute 2
        Assert.Equal(0, order.Committable().Single(o => o.TopicPartition == P0).Offset.Value); // offset 0 (a) is still held

        order.Add(new(P1, 1), Tx("d", 6));
        Assert.Equal(["a", "d"], Ids(order.TakeReady()));
        Assert.Equal(2, order.Committable().Single(o => o.TopicPartition == P0).Offset.Value); // past a and late, not past c

        order.CaughtUp(P1);
        Assert.Equal(["c"], Ids(order.TakeReady()));
        Assert.Equal(3, order.Committable().Single(o => o.TopicPartition == P0).Offset.Value);
    }

    [Fact]
    public void AfterAFailureEverythingHeldIsDroppedAndReadAgainFromTheLastStoredOffsets()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, 1000);
        order.Assign([P0]);
        order.Add(new(P0, 0), Tx("a", 1));
        order.CaughtUp(P0);
        Assert.Single(order.TakeReady());
        order.Stored(order.Committable()); // offset 1
        order.Add(new(P0, 1), Tx("b", 2));
        order.Add(new(P0, 2), Tx("c", 3));
        _ = order.TakeReady();
        _ = order.Committable(); // b and c released, but their batch never committed: offset 3 is not stored

        order.Reset();

        Assert.Equal(0, order.Count);
        Assert.Equal([new TopicPartitionOffset(P0, 1)], order.ResumePoints());
        Assert.Equal([new TopicPartitionOffset(P0, 1)], order.Committable());
    }

    [Fact]
    public void ARevokedPartitionsHeldEventsAreLeftForItsNextOwner()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, 1000);
        order.Assign([P0, P1]);
        order.Add(new(P0, 0), Tx("a", 1));
        order.Add(new(P1, 0), Tx("b", 2));

        order.Revoke([P1]);
        order.CaughtUp(P0);

        Assert.Equal(["a"], Ids(order.TakeReady()));
        Assert.DoesNotContain(order.Committable(), o => o.TopicPartition == P1);
    }

    [Fact]
    public void BeyondItsBoundTheOldestEventsAreReleasedEvenIfAPartitionLags()
    {
        var order = new EventTimeOrder(TimeSpan.Zero, maxBuffered: 2);
        order.Assign([P0, P1]);
        order.Add(new(P0, 0), Tx("a", 1));
        order.Add(new(P0, 1), Tx("b", 2));
        order.Add(new(P0, 2), Tx("c", 3));

        Assert.Equal(["a"], Ids(order.TakeReady()));
    }

    [Fact]
    public void LatenessHoldsEventsThatCloseBehindTheSlowestPartition()
    {
        var order = new EventTimeOrder(TimeSpan.FromMinutes(2), 1000);
        order.Assign([P0]);
        order.Add(new(P0, 0), Tx("a", 1));
        order.Add(new(P0, 1), Tx("b", 4));

        Assert.Equal(["a"], Ids(order.TakeReady())); // watermark 4 - 2 = minute 2
    }
}
