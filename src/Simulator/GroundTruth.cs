using System.Text.Json.Serialization;
using SkimGuard.Contracts.Json;
using SkimGuard.Simulator.Activity;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator;

/// <summary>What really happened in a simulated world (truth.json): the skimmers and every card they captured,
/// the terminals that must never be flagged, and the background fraud.</summary>
public sealed record GroundTruth
{
    /// <summary>The options the world was made with.</summary>
    public required TruthOptions Options { get; init; }

    /// <summary>Every planted skimmer.</summary>
    public required IReadOnlyList<TruthSkimmer> Skimmers { get; init; }

    /// <summary>The busiest ATMs (the railway stations): popular, never skimmed.</summary>
    public required IReadOnlyList<string> BusyTerminals { get; init; }

    /// <summary>Compromise points no partner's feed contains (kind "unobserved", terminal "UNOBSERVED-n"): their victims' echo is on the neighbourhood's terminals.</summary>
    public IReadOnlyList<TruthSkimmer> UnobservedCompromises { get; init; } = [];

    /// <summary>The hubs' shops: used by the victims of several skimmers, never skimmed.</summary>
    public IReadOnlyList<string> HubTerminals { get; init; } = [];

    /// <summary>The banks whose feeds were written; the others' cards were skimmed all the same, unseen.</summary>
    public IReadOnlyList<string> PartnerBanks { get; init; } = [];

    /// <summary>One fraudulent transaction on a captured card.</summary>
/// <param name="TxnId">Its id in transactions.jsonl.</param>
/// <param name="At">When.</param>
/// <param name="LossPaise">What it took, in rupee paise (foreign cash-outs converted; declined attempts 0).</param>
public sealed record TruthFraud(string TxnId, DateTimeOffset At, long LossPaise);

/// <summary>The phishing wave, when there is one.</summary>
    public TruthPhishingWave? PhishingWave { get; init; }

    /// <summary>Fraud cases that are not local skimming, by kind.</summary>
    public required IReadOnlyDictionary<string, int> NoiseFraudCases { get; init; }

    /// <summary>Every card defrauded by something other than a planted skimmer, with its kind and first fraud inside the period.</summary>
    public required IReadOnlyList<TruthOtherFraud> OtherFrauds { get; init; }

    internal static GroundTruth Of(SimulationOptions options, SimWorld world, SkimmingCampaigns skimming, NeighbourhoodScenarios neighbourhoods,
        PhishingWave? phishing, NoiseFraud noise) => new()
    {
        Options = new TruthOptions(options.Seed, options.Start, options.Days, options.Cards, options.Skimmers, options.Atms, options.CaptureRate, options.CashoutRate, options.ReportRate),
        Skimmers = [.. skimming.Skimmers.Select(s => TruthSkimmer.Of(world, s, world.Terminals[s.Terminal].Id, world.Terminals[s.Terminal].Type == Contracts.TerminalType.Atm ? "atm" : "pos", options.End))],
        UnobservedCompromises = [.. skimming.Unobserved.Select(s => TruthSkimmer.Of(world, s, $"UNOBSERVED-{s.Index + 1}", "unobserved", options.End))],
        HubTerminals = [.. neighbourhoods.HubTerminals.Select(t => world.Terminals[t].Id)],
        PartnerBanks = [.. world.PartnerBanks.Order(StringComparer.Ordinal)],
        BusyTerminals = [.. world.StationAtms.Select(t => world.Terminals[t].Id)],
        PhishingWave = phishing is null ? null : new TruthPhishingWave(
            Places.Localities[phishing.Locality].Name, phishing.From, phishing.To, phishing.Victims,
            [.. phishing.LocalAtms.Select(t => world.Terminals[t].Id).Order(StringComparer.Ordinal)]),
        NoiseFraudCases = noise.Counts,
        OtherFrauds = [.. noise.Cases.Concat(phishing?.Cases ?? [])
            .Select(c => new TruthOtherFraud(world.Cards[c.Card].Token, c.Origin, c.FirstFraudAt))],
    };
}

/// <summary>The options a world was made with.</summary>
public sealed record TruthOptions(ulong Seed, DateTimeOffset Start, int Days, int Cards, int Skimmers, int Atms, double CaptureRate, double CashoutRate, double ReportRate);

/// <summary>One planted skimmer: where, when, and what it captured.</summary>
public sealed record TruthSkimmer
{
    /// <summary>The skimmed terminal (UNOBSERVED-n for a compromise point no feed contains).</summary>
    public required string TerminalId { get; init; }

    /// <summary>atm, pos (a shimmer on a shop's reader) or unobserved.</summary>
    public string Kind { get; init; } = "atm";

    /// <summary>Its neighbourhood.</summary>
    public required string Locality { get; init; }

    /// <summary>When the skimmer was fitted.</summary>
    public required DateTimeOffset From { get; init; }

    /// <summary>When it was removed.</summary>
    public required DateTimeOffset To { get; init; }

    /// <summary>Every card whose data it captured.</summary>
    public required IReadOnlyList<TruthCapturedCard> CapturedCards { get; init; }

    internal static TruthSkimmer Of(SimWorld world, Skimmer skimmer, string terminalId, string kind, DateTimeOffset end) => new()
    {
        TerminalId = terminalId,
        Kind = kind,
        Locality = Places.Localities[skimmer.Locality].Name,
        From = skimmer.From,
        To = skimmer.To,
        CapturedCards = [.. skimmer.Captures.Select(c => TruthCapturedCard.Of(world, c, end))],
    };
}

/// <summary>A captured card and, if it happened inside the simulated period, its fraud.</summary>
public sealed record TruthCapturedCard
{
    /// <summary>The card.</summary>
    public required string CardToken { get; init; }

    /// <summary>Its issuing bank.</summary>
    public required string BankId { get; init; }

    /// <summary>When the skimmer read it.</summary>
    public required DateTimeOffset CapturedAt { get; init; }

    /// <summary>The first cash-out, when it happened inside the period.</summary>
    public DateTimeOffset? FirstFraudAt { get; init; }

    /// <summary>When the bank reported it, when that happened inside the period.</summary>
    public DateTimeOffset? ReportedAt { get; init; }

    /// <summary>The cash-out transactions inside the period, in time order.</summary>
    public IReadOnlyList<TruthFraud> Frauds { get; init; } = [];

    internal static TruthCapturedCard Of(SimWorld world, Capture capture, DateTimeOffset end) => new()
    {
        CardToken = world.Cards[capture.Card].Token,
        BankId = world.Cards[capture.Card].BankId,
        CapturedAt = capture.CapturedAt,
        FirstFraudAt = capture.Fraud?.FirstFraudAt,
        ReportedAt = capture.Fraud?.ReportedAt < end ? capture.Fraud.ReportedAt : null,
        Frauds = capture.Fraud?.Frauds ?? [],
    };
}

/// <summary>One fraudulent transaction on a captured card.</summary>
/// <param name="TxnId">Its id in transactions.jsonl.</param>
/// <param name="At">When.</param>
/// <param name="LossPaise">What it took, in rupee paise (foreign cash-outs converted; declined attempts 0).</param>
public sealed record TruthFraud(string TxnId, DateTimeOffset At, long LossPaise);

/// <summary>A card defrauded by something other than a planted skimmer.</summary>
/// <param name="CardToken">The card.</param>
/// <param name="Kind">counterfeit_elsewhere, card_not_present, lost_stolen, account_takeover or phishing_wave.</param>
/// <param name="FirstFraudAt">Its first fraud, when that happened inside the period.</param>
public sealed record TruthOtherFraud(string CardToken, string Kind, DateTimeOffset? FirstFraudAt);

/// <summary>The phishing wave: a neighbourhood whose cards were hit together, with no skimmer to blame.</summary>
public sealed record TruthPhishingWave(string Locality, DateTimeOffset From, DateTimeOffset To, int Victims, IReadOnlyList<string> LocalAtms);

/// <summary>JSON for truth.json, in the wire format's style.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true,
    Converters = [typeof(UtcTimestampJsonConverter)])]
[JsonSerializable(typeof(GroundTruth))]
public sealed partial class GroundTruthJsonContext : JsonSerializerContext;
