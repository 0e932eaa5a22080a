using System.Text.Json.Serialization;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// A terminal that scanned significant and was not flagged, and why: for the quality benchmark's account of each
/// skimmer it missed, and for anyone asking why a terminal with many compromised visitors raised nothing.
/// </summary>
/// <param name="TerminalId">The terminal held back.</param>
/// <param name="At">Event time of the rescan.</param>
/// <param name="Reason">What held it back.</param>
/// <param name="PValue">Its scan's p-value.</param>
/// <param name="ExplainedBy">For <see cref="HoldReason.ExplainedAway"/>: the terminals that explain its cards; else empty.</param>
public sealed record HeldBack(string TerminalId, DateTimeOffset At, HoldReason Reason, double PValue, IReadOnlyList<string> ExplainedBy);

/// <summary>Why a significant terminal was not flagged, or why its alert was withdrawn.</summary>
public enum HoldReason
{
    /// <summary>Most of its compromised cards also used terminals that scan more significant (step 4).</summary>
    [JsonStringEnumMemberName("explained_away")] ExplainedAway,

    /// <summary>It does not stand out against the other terminals its compromised cards used (step 5, an echo).</summary>
    [JsonStringEnumMemberName("local_echo")] LocalEcho,
}
