using SkimGuard.Alerts.Store;

namespace SkimGuard.Alerts.Api;

/// <summary>An alert's history as people read it: the audit trail in the database stays whole.</summary>
public static class HistoryLines
{
    /// <summary>
    /// The detector's consecutive updates folded into one line that gives their count and the range of change ("29
    /// updates: k 7 of n 40, p 1.3E-009 to k 20.1 of n 48, p 6.4E-032"), timed at the last. A growing skimmer is
    /// updated every hour or so; unfolded, those lines filled most of a three-page case report and hid the officers' steps.
    /// </summary>
    public static IReadOnlyList<HistoryEntry> FoldDetectorUpdates(IReadOnlyList<HistoryEntry> history)
    {
        var lines = new List<HistoryEntry>(history.Count);
        for (var i = 0; i < history.Count;)
        {
            var run = i;
            while (run < history.Count && IsDetectorUpdate(history[run]))
                run++;
            if (run - i < 2)
            {
                lines.Add(history[i]);
                i++;
                continue;
            }
            var (first, last) = (history[i], history[run - 1]);
            lines.Add(last with { Note = $"{run - i} updates: {first.Note} to {last.Note}", FromStatus = first.FromStatus });
            i = run;
        }
        return lines;
    }

    private static bool IsDetectorUpdate(HistoryEntry entry) => entry is { Actor: "detector", Action: "updated" };
}
