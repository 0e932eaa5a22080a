namespace SkimGuard.Engine.Cpp;

/// <summary>
/// Debounces terminal rescans in event time: a terminal is rescanned at once when it has not been for
/// <see cref="CppOptions.RescanInterval"/>, else once when the interval is up. A busy terminal near a skimmer gains
/// a compromised visitor with every report and cash-out; scanning it once per interval instead of hundreds of
/// times changes when an alert can appear by at most the interval. Due times depend only on earlier events, so a
/// replay cut at any time still gives the same alerts up to that time.
/// </summary>
internal sealed class RescanScheduler(TimeSpan interval)
{
    private readonly Dictionary<string, DateTimeOffset> _lastScan = new(StringComparer.Ordinal);
    private readonly HashSet<string> _pending = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, (DateTimeOffset Due, string Terminal)> _due = new(Comparer<(DateTimeOffset Due, string Terminal)>.Create(
        (a, b) => a.Due != b.Due ? a.Due.CompareTo(b.Due) : string.CompareOrdinal(a.Terminal, b.Terminal)));

    /// <summary>Asks for a rescan of a terminal at <paramref name="now"/>; returns true when it should run now.</summary>
    public bool Request(string terminalId, DateTimeOffset now)
    {
        if (_pending.Contains(terminalId))
            return false;
        if (_lastScan.TryGetValue(terminalId, out var last) && now < last + interval)
        {
            _pending.Add(terminalId);
            _due.Enqueue(terminalId, (last + interval, terminalId));
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

    /// <summary>Forgets terminals not scanned since <paramref name="before"/>, so the table stays bounded.</summary>
    public void Forget(DateTimeOffset before)
    {
        foreach (var stale in _lastScan.Where(s => s.Value < before && !_pending.Contains(s.Key)).Select(s => s.Key).ToList())
            _lastScan.Remove(stale);
    }
}
