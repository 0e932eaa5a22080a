using System.ComponentModel.DataAnnotations;
using SkimGuard.Contracts;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// Every threshold of the common-point-of-compromise engine, with the default and why. Measured effects of the
/// defaults on the simulator are in docs/quality/cpp-engine.md.
/// </summary>
public sealed record CppOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "Cpp";

    /// <summary>
    /// L: how far back from a card's first fraud its visits count as exposures. Skimmed data is usually sold and
    /// cashed out within days to weeks; 45 days covers that with room.
    /// </summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "365.00:00:00")]
    public TimeSpan LookBack { get; init; } = TimeSpan.FromDays(45);

    /// <summary>
    /// d: visits this close before the first fraud are not exposures: a clone cannot be made and cashed out in less.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan MinCashoutDelay { get; init; } = TimeSpan.FromHours(12);

    /// <summary>
    /// How long after the look-back state is kept, because a report may name a first fraud this long before it is
    /// filed. State is kept for LookBack + ReportDelayAllowance.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "120.00:00:00")]
    public TimeSpan ReportDelayAllowance { get; init; } = TimeSpan.FromDays(14);

    /// <summary>
    /// A terminal is rescanned at most once per this much event time; evidence arriving meanwhile is taken in by one
    /// rescan when the interval is up. Bounds the work on busy terminals; delays an alert by at most this.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan RescanInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>The longest skimmer period scanned, in days. Longer windows add visitors faster than evidence.</summary>
    [Range(1, 60)]
    public int MaxWindowDays { get; init; } = 14;

    /// <summary>
    /// The multiple-testing budget: a terminal is flagged when its best window's Poisson tail probability is at most
    /// this divided by the number of card-present terminals active in the look-back (Bonferroni over terminals).
    /// A town of 2,000 terminals flags at 1e-6; a city of 30,000 at 7e-8, where ten times more terminals would
    /// otherwise bring ten times more chance flags. Windows within a terminal overlap heavily and are not counted;
    /// the false-flag rate measured on simulated worlds is in docs/quality/cpp-engine.md.
    /// </summary>
    [Range(1e-12, 0.5)]
    public double AlertAlpha { get; init; } = 0.002;

    /// <summary>
    /// The flagging threshold is never looser than this, however few terminals there are: in a small feed the
    /// windows scanned per terminal, not counted by <see cref="AlertAlpha"/>, dominate the tests run.
    /// </summary>
    [Range(1e-30, 0.05)]
    public double MaxAlertPValue { get; init; } = 1e-6;

    /// <summary>The p-value at or below which a terminal is flagged, given the card-present terminals active.</summary>
    public double AlertPValue(long activeTerminals) => Math.Min(MaxAlertPValue, AlertAlpha / Math.Max(1, activeTerminals));

    /// <summary>
    /// Fewest compromised visitors with strong evidence (a mark weighing at least <see cref="StrongEvidenceWeight"/>)
    /// that can make an alert. Two or three cards can meet anywhere, and weak evidence alone cannot send a team to an
    /// ATM: phishing waves and data leaks cluster by neighbourhood too, so a busy shop there can gather many weak marks.
    /// </summary>
    [Range(1, 1000)]
    public int MinCompromised { get; init; } = 3;

    /// <summary>A mark at least this heavy is strong evidence: a counterfeit report or a clone's cash-out.</summary>
    [Range(0.0, 1.0)]
    public double StrongEvidenceWeight { get; init; } = 0.5;

    /// <summary>
    /// Fewest times the expected count that the strongly compromised visitors alone must reach. A big shop used by the
    /// same neighbourhood as a skimmed ATM gathers a mild excess over a month (two or three times); a skimmer's excess
    /// is tens of times. Counting only strong evidence here keeps a phishing wave's weak marks from making the excess.
    /// </summary>
    [Range(1.0, 1000.0)]
    public double MinRelativeRisk { get; init; } = 5;

    /// <summary>
    /// Explaining away: a terminal is not flagged while at least this share (by weight) of its window's compromised
    /// cards also used one other terminal in their look-back that scans more significant. Skimmed cards shop near
    /// home, so the shops and ATMs around a skimmed ATM gather a weaker echo of its cluster; the skimmed ATM itself
    /// is the most common point, and the echo is explained by it.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ExplainedShare { get; init; } = 0.5;

    /// <summary>
    /// The hub rule (docs/cpp-engine.md, step 4), off by default. On, a flagged terminal explains another's cards only when
    /// it is more concentrated (a higher cautious relative risk), whichever was flagged first, and an alert whose cards
    /// later-flagged, more concentrated terminals explain is withdrawn: a mall's shop flagged first on two skimmers'
    /// victims then holds neither back. Off, the more significant terminal explains, and such a shop holds both skimmers
    /// back for good. It is off because on the evaluation seeds it doubled the false alarms (8 to 16 over 135 worlds)
    /// for one skimmer more found (docs/quality/cpp-grid-hub-rule.md): small shops flagged hours after a skimmer flagged on
    /// its first few cards, which is not yet more concentrated than their four.
    /// </summary>
    public bool ExplainByConcentration { get; init; }

    /// <summary>
    /// Standing out locally: before a terminal is first flagged, its rate of compromised visitors over the window must be
    /// at least this many times the median rate, over the same days, of the other terminals its compromised cards used
    /// (each shared by at least a tenth of them). A skimmed terminal's rate is tens of times its victims' other
    /// terminals'. The terminals of a neighbourhood whose residents were skimmed somewhere no feed shows (a handheld
    /// skimmer at a shop, a non-partner ATM) all carry the same excess, and none of them stands out: the echo.
    /// </summary>
    public double MinLocalRelativeRisk { get; init; } = 3;

    /// <summary>
    /// ... and the terminal's compromised visitors must be this unlikely (Poisson tail) at its neighbours' median rate: a
    /// small shop's four or five compromised visitors can be three times its neighbours' rate by chance. The test is
    /// met by chance more often than its tail says: every echo terminal of a neighbourhood is tested at each rescan, on
    /// the window its own scan chose as the most extreme. At 1e-4, 7 echo alerts in 20 tuning towns (tails 1e-5 to 9e-5);
    /// at 3e-5, 3; at 1e-5, 1, but the demo's town found one of its three skimmers instead of two, and a 2,500-card town
    /// none (docs/cpp-engine.md, step 5).
    /// </summary>
    public double LocalAlpha { get; init; } = 3e-5;

    /// <summary>Terminals with fewer distinct cards than this over the window are too small to give a comparison rate.</summary>
    public int LocalComparisonMinCards { get; init; } = 20;

    /// <summary>
    /// The local test compares a terminal with the shared terminals this close to it when at least
    /// <see cref="LocalComparisonMinTerminals"/> are (its neighbourhood), else with all of them.
    /// </summary>
    public double LocalComparisonRadiusKm { get; init; } = 1.0;

    /// <summary>Fewest comparison terminals for the local test; with fewer, a terminal is judged against the base rate alone.</summary>
    public int LocalComparisonMinTerminals { get; init; } = 3;

    /// <summary>The base rate never counts as lower than this, so the first days of data cannot flag on nothing.</summary>
    [Range(0.0, 1.0)]
    public double MinBaseRate { get; init; } = 0.0005;

    /// <summary>Applied-event keys are kept this long to drop redelivered and resent records.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "60.00:00:00")]
    public TimeSpan DedupeWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>
    /// Weight of a transaction with the counterfeit signature (magstripe or fallback cash-out far from every place the
    /// card was used before): about its precision, the share of the cards it marks that are real clones. Measured at
    /// 0.98 to 1.00 on the simulator (docs/quality/cpp-engine.md); set a little lower for travellers abroad whose chip
    /// fails, who the simulator does not have.
    /// </summary>
    [Range(0.0, 1.0)]
    public double CounterfeitSignatureWeight { get; init; } = 0.9;

    /// <summary>
    /// Weight of a stripe-read ATM withdrawal at a terminal with no coordinates that is not in the ATM registry (a
    /// non-partner bank's ATM): a clone's cash-out as likely as not, since its place is unknown, but still read from a
    /// stripe, which lost cards (chip and PIN) and online fraud never are. At or above the strong-evidence weight, so
    /// that gangs who cash out at such ATMs still make skimmers visible.
    /// </summary>
    public double UnlocatedCashoutWeight { get; init; } = 0.6;

    /// <summary>
    /// A card-present transaction the fraud model scores at or above this marks its card as suspected compromised
    /// (when the counterfeit signature did not already): high, since a mark sends the card's past terminals to a scan.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ModelSuspicionThreshold { get; init; } = 0.9;

    /// <summary>
    /// Weight of a model mark per unit of score (a mark at score 0.95 weighs 0.95 times this). Below the strong-evidence
    /// weight by default, so model marks add to an alert's evidence but cannot raise one alone; 0 turns them off.
    /// </summary>
    [Range(0.0, 1.0)]
    public double ModelSuspicionWeight { get; init; } = 0.5;

    /// <summary>How far from all its earlier card-present places a cash-out must be to look like a clone.</summary>
    [Range(1.0, 20000.0)]
    public double SignatureDistanceKm { get; init; } = 200;

    /// <summary>Card-present visits with a location a card needs before its "usual places" are known.</summary>
    [Range(1, 100)]
    public int SignatureMinHistory { get; init; } = 3;

    /// <summary>
    /// Weight of a fraud report by type. Counterfeit card-present fraud is skimming's signature; lost or stolen cards
    /// were present but not copied; card-not-present and account takeover come from phishing and data leaks.
    /// </summary>
    public IReadOnlyDictionary<FraudType, double> ReportWeights { get; init; } = new Dictionary<FraudType, double>
    {
        [FraudType.Counterfeit] = 1.0,
        [FraudType.Other] = 0.4,
        [FraudType.LostStolen] = 0.15,
        [FraudType.CardNotPresent] = 0.1,
        [FraudType.AccountTakeover] = 0.05,
    };

    /// <summary>How long state is kept, in days.</summary>
    public int RetentionDays => (int)Math.Ceiling((LookBack + ReportDelayAllowance).TotalDays);
}
