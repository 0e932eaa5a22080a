using System.Text.Json.Serialization;

namespace SkimGuard.Contracts;

/// <summary>The detector's view of an alert: first raised, or grown by later evidence.</summary>
public enum AlertStatus
{
    /// <summary>The terminal was flagged for the first time.</summary>
    [JsonStringEnumMemberName("raised")] Raised,
    /// <summary>New evidence changed an alert already raised.</summary>
    [JsonStringEnumMemberName("updated")] Updated,
}
