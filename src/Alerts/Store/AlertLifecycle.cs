namespace SkimGuard.Alerts.Store;

/// <summary>
/// The triage lifecycle: open -> acknowledged -> dispatched (a team sent) -> resolved (skimmer found, false alarm or
/// duplicate); a resolved alert can be reopened, and the detector reopens a false alarm when new evidence arrives. The
/// detector also resolves an open or acknowledged alert as withdrawn when other flagged terminals explain its cards.
/// </summary>
public static class AlertLifecycle
{
    public const string Open = "open", Acknowledged = "acknowledged", Dispatched = "dispatched", Resolved = "resolved";

    /// <summary>Not a state: the filter for every alert still being worked (open, acknowledged or dispatched).</summary>
    public const string Active = "active";
    public const string SkimmerFound = "skimmer_found", FalseAlarm = "false_alarm", Duplicate = "duplicate";

    /// <summary>The outcome the detector gives an alert it withdrew (other flagged terminals explain its cards); not an officer's choice.</summary>
    public const string Withdrawn = "withdrawn";

    /// <summary>The actions an officer can take.</summary>
    public static readonly string[] Actions = ["acknowledge", "dispatch", "resolve", "reopen"];

    /// <summary>The outcomes a resolution names.</summary>
    public static readonly string[] Outcomes = [SkimmerFound, FalseAlarm, Duplicate];

    /// <summary>The status after the action, or null when the action is not allowed from this status.</summary>
    public static string? Next(string status, string action, string? outcome) => (status, action) switch
    {
        (Open, "acknowledge") => Acknowledged,
        (Open or Acknowledged, "dispatch") => Dispatched,
        (Open or Acknowledged or Dispatched, "resolve") when outcome is not null && Outcomes.Contains(outcome) => Resolved,
        (Resolved, "reopen") => Open,
        _ => null,
    };

    /// <summary>
    /// Sending a team and closing a case are recorded with the reason: who was sent, what was found. The case file is
    /// read months later by someone who was not there.
    /// </summary>
    public static string? NoteMissing(string action, string? note) =>
        !string.IsNullOrWhiteSpace(note) ? null
        : action == "dispatch" ? "a note is required to dispatch a team: who was sent, and when"
        : action == "resolve" ? "a note is required to resolve an alert: what was found at the terminal"
        : null;

    /// <summary>Why an action is refused, for the officer.</summary>
    public static string Why(string status, string action, string? outcome) =>
        !Actions.Contains(action) ? $"unknown action '{action}'; one of {string.Join(", ", Actions)}"
        : action == "resolve" && (outcome is null || !Outcomes.Contains(outcome)) ? $"a resolution needs an outcome: {string.Join(", ", Outcomes)}"
        : $"an alert that is {status} cannot be {action switch { "acknowledge" => "acknowledged", "dispatch" => "dispatched", "resolve" => "resolved", _ => "reopened" }}";
}
