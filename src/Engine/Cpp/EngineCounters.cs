namespace SkimGuard.Engine.Cpp;

/// <summary>What the engine has done, for progress lines, metrics and tests.</summary>
public sealed class EngineCounters
{
    /// <summary>Transactions applied.</summary>
    public long Transactions { get; internal set; }

    /// <summary>Fraud reports applied.</summary>
    public long Reports { get; internal set; }

    /// <summary>Events skipped because they were applied before (redelivered or resent).</summary>
    public long Duplicates { get; internal set; }

    /// <summary>Cards marked by the counterfeit signature before any report.</summary>
    public long SignatureMarks { get; internal set; }

    /// <summary>Transactions the fraud model scored.</summary>
    public long Scored { get; internal set; }

    /// <summary>Cards marked suspected compromised by a high model score.</summary>
    public long ModelMarks { get; internal set; }

    /// <summary>Terminal scans run.</summary>
    public long Scans { get; internal set; }

    /// <summary>Significant terminals not flagged because a more significant terminal explains their cards.</summary>
    public long ExplainedAway { get; internal set; }

    /// <summary>Significant terminals not flagged because they do not stand out from their compromised cards' other terminals (an echo).</summary>
    public long LocalEchoes { get; internal set; }

    /// <summary>Alerts raised for the first time.</summary>
    public long AlertsRaised { get; internal set; }

    /// <summary>Alert updates published.</summary>
    public long AlertsUpdated { get; internal set; }

    /// <summary>Alerts withdrawn because terminals flagged later, more concentrated, explain their cards.</summary>
    public long AlertsWithdrawn { get; internal set; }

    /// <summary>CardsAtRisk messages published.</summary>
    public long CardsAtRiskMessages { get; internal set; }
}
