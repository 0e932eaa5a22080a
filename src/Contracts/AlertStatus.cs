using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>The detector's view of an alert: first raised, grown by later evidence, or withdrawn when other flagged terminals explain its cards.</summary>
public enum AlertStatus
{
    /// <summary>The terminal was flagged for the first time.</summary>
    [JsonStringEnumMemberName("raised")] Raised,
    /// <summary>New evidence changed an alert already raised.</summary>
    [JsonStringEnumMemberName("updated")] Updated,
    /// <summary>
    /// Other flagged terminals, each with a higher rate of compromised visitors, explain most of its compromised cards:
    /// it was a place those victims also went (a mall's shop, a neighbour), not their skimmer. <see cref="AtmAlert.ExplainedBy"/>
    /// names them. Later evidence the others do not explain brings the alert back as updated.
    /// </summary>
    [JsonStringEnumMemberName("withdrawn")] Withdrawn,
}
