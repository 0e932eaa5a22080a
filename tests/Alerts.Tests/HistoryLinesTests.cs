using SkimGuard.Alerts.Api;
using SkimGuard.Alerts.Store;

namespace SkimGuard.Alerts.Tests;

public sealed class HistoryLinesTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 6, 0, 0, TimeSpan.Zero);

    private static HistoryEntry Update(int hour, string note) => new(T0.AddHours(hour), "detector", "updated", "open", "open", note);

    [Fact]
    public void TheDetectorsRunOfUpdatesIsOneLineWithTheRangeOfChange()
    {
        HistoryEntry[] history =
        [
            new(T0, "detector", "raised", null, "open", "k 5 of n 40, p 1.0E-008"),
            Update(1, "k 6 of n 41, p 1.0E-009"), Update(2, "k 7 of n 42, p 1.0E-010"), Update(3, "k 8 of n 43, p 1.0E-011"),
            new(T0.AddHours(4), "inspector.patil", "acknowledge", "open", "acknowledged", "seen at 10:00"),
            Update(5, "k 9 of n 44, p 1.0E-012"),
            Update(6, "k 10 of n 45, p 1.0E-013"), Update(7, "k 11 of n 46, p 1.0E-014"),
        ];

        var lines = HistoryLines.FoldDetectorUpdates(history);

        Assert.Equal(["raised", "updated", "acknowledge", "updated"], lines.Select(l => l.Action));
        Assert.Equal("3 updates: k 6 of n 41, p 1.0E-009 to k 8 of n 43, p 1.0E-011", lines[1].Note);
        Assert.Equal(T0.AddHours(3), lines[1].At);
        Assert.Equal("3 updates: k 9 of n 44, p 1.0E-012 to k 11 of n 46, p 1.0E-014", lines[3].Note);
        Assert.Equal("seen at 10:00", lines[2].Note);
    }

    [Fact]
    public void ALoneUpdateStaysAsItIs()
    {
        HistoryEntry[] history = [new(T0, "detector", "raised", null, "open", "k 5"), Update(1, "k 6")];

        Assert.Equal(history, HistoryLines.FoldDetectorUpdates(history));
    }
}
