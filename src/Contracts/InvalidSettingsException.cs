namespace SkimGuard.Contracts;

/// <summary>
/// A service's settings that cannot be used; the message names each one and why. Every SkimGuard service checks its
/// settings before it starts and stops with this rather than run half-configured.
/// </summary>
public sealed class InvalidSettingsException(IReadOnlyList<string> problems)
    : Exception("Invalid settings:" + Environment.NewLine + string.Join(Environment.NewLine, problems.Select(p => "  " + p)))
{
    /// <summary>Every problem, one per setting.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}
