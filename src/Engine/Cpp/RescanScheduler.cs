namespace SkimGuard.Engine.Cpp;

/// <summary>
/// Debounces terminal rescans in event time: a terminal is rescanned at once when it has not been for
/// <see cref="CppOptions.RescanInterval"/>, else once when the interval is up. A busy terminal near a skimmer gains
/// a compromised visitor with every report and cash-out; scanning it once per interval instead of hundreds of
/// times changes when an alert can appear by at most the interval. Due times depend only on earlier events, so a
/// replay cut at any time still gives the same alerts up to that time. The engine saves every entry to the window
/// store, so that an engine restarted after a crash takes up the same schedule.
/// </summary>
internal sealed class RescanScheduler(TimeSpan interval)
{
    private readonly Dictionary<string, DateTimeOffset> _lastScan = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _pending = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, (DateTimeOffset Due, string Terminal)> _due = new(Comparer<(DateTimeOffset Due, string Terminal)>.Create(
        (a, b) => a.Due != b.Due ? a.Due.CompareTo(b.Due) : string.CompareOrdinal(a.Terminal, b.Terminal)));

    /// <summary>Asks for a rescan of a terminal at <paramref name="now"/>; returns true when it should run now.</summary>
    public bool Request(string terminalId, DateTimeOffset now)
    {
        if (_pending.ContainsKey(terminalId))
            return false;
        if (_lastScan.TryGetValue(terminalId, out var last) && now < last + interval)
        {
            Defer(terminalId, last + interval);
            return false;
        }
        _lastScan[terminalId] = now;
        return true;
    }

    /// <summary>The next deferred rescan due at or before <paramref name="until"/>, with its due time.</summary>
    public bool TryTakeDue(DateTimeOffset until, out string terminalId, out DateTimeOffset due)
    {
        if (_due.TryPeek(out terminalId!, out var key) && key.Due <= until)
        {
            _due.Dequeue();
            _pending.Remove(terminalId);
            _lastScan[terminalId] = due = key.Due;
            return true;
        }
        terminalId = "";
        due = default;
        return false;
    }

    /// <summary>A terminal's entry, to be saved.</summary>
    public RescanEntry EntryOf(string terminalId) =>
        new(terminalId, _lastScan.GetValueOrDefault(terminalId), _pending.TryGetValue(terminalId, out var due) ? due : null);

    /// <summary>Takes up an entry saved by an earlier engine.</summary>
    public void Restore(RescanEntry entry)
    {
        _lastScan[entry.TerminalId] = entry.LastScan;
        if (entry.Due is { } due && !_pending.ContainsKey(entry.TerminalId))
            Defer(entry.TerminalId, due);
    }

    /// <summary>Forgets terminals not scanned since <paramref name="before"/>, so the table stays bounded; returns them.</summary>
    public IReadOnlyList<string> Forget(DateTimeOffset before)
    {
        var stale = _lastScan.Where(s => s.Value < before && !_pending.ContainsKey(s.Key)).Select(s => s.Key).ToList();
        foreach (var terminalId in stale)
            _lastScan.Remove(terminalId);
        return stale;
    }

    private void Defer(string terminalId, DateTimeOffset due)
    {
        _pending.Add(terminalId, due);
        _due.Enqueue(terminalId, (due, terminalId));
    }
}

/// <summary>A terminal's place in the rescan schedule.</summary>
/// <param name="TerminalId">The terminal.</param>
/// <param name="LastScan">When (event time) it was last scanned.</param>
/// <param name="Due">When its deferred rescan falls due, if one is pending.</param>
public sealed record RescanEntry(string TerminalId, DateTimeOffset LastScan, DateTimeOffset? Due);
