using System.Globalization;
using SkimGuard.Contracts;
using SkimGuard.Simulator.Activity;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator;

/// <summary>
/// Runs a simulated Mira-Bhayander day by day: residents' ordinary card use, the planted skimmers and their
/// cash-outs, background fraud and the phishing-wave trap. Emits the banks' feeds in event-time order and
/// returns the ground truth.
/// </summary>
public sealed class Simulation
{
    private readonly SimulationOptions _options;
    private readonly SimWorld _world;
    private readonly Timeline _timeline;
    private readonly SkimmingCampaigns _skimming;
    private readonly NoiseFraud _noise;
    private readonly PhishingWave? _phishing;
    private readonly NeighbourhoodScenarios _neighbourhoods;
    private readonly LegitimateActivity _legitimate;
    private readonly PriorityQueue<FraudCase, long> _reportsDue = new();
    private long _transactions;
    private long _reports;

    /// <summary>Builds the world (terminals, cards, skimmer plans) for these options.</summary>
    public Simulation(SimulationOptions options)
    {
        options.Validate();
        _options = options;
        _world = new SimWorld(options);
        _timeline = new Timeline(_world, options);
        var cashout = new CloneCashout(_timeline);
        _phishing = options.PhishingWave ? new PhishingWave(_timeline) : null;
        // Skimmers go neither on the station ATMs nor in the phishing neighbourhood, so a flag there is known false.
        var excluded = new HashSet<int>(_world.StationAtms);
        excluded.UnionWith(_phishing?.LocalAtms ?? new HashSet<int>());
        _neighbourhoods = new NeighbourhoodScenarios(_timeline, _phishing?.Locality);
        _skimming = new SkimmingCampaigns(_timeline, cashout, excluded, _neighbourhoods.HubAtms, _neighbourhoods.UnobservedLocalities);
        _noise = new NoiseFraud(_timeline, cashout);
        _legitimate = new LegitimateActivity(_timeline, _skimming);
    }

    /// <summary>The ATM registry of the simulated town.</summary>
    public IEnumerable<Contracts.Registry.AtmRecord> Registry => _world.Registry();

    /// <summary>The PAN of a card, for tests that prove no PAN is ever written.</summary>
    internal string PanOf(int card) => _world.PanOf(card);

    internal int CardCount => _world.Cards.Count;

    /// <summary>Runs every day, feeding <paramref name="sink"/>, and returns what really happened.</summary>
    public GroundTruth Run(ISimulationSink sink, IProgress<SimulationProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        for (var day = 0; day < _options.Days; day++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rng = new Rng(_options.Seed, stream: 1000UL + (ulong)day);
            for (var card = 0; card < _world.Cards.Count; card++)
                _legitimate.Day(rng, day, card);
            _noise.Day(rng, day);
            _phishing?.Day(rng, day);
            _neighbourhoods.Day(day, _skimming);
            foreach (var planned in _timeline.TakeDay(day))
                Emit(planned, sink);
            progress?.Report(new SimulationProgress(day + 1, _options.Days, _transactions, _reports));
        }
        EmitReportsDue(_options.End.UtcTicks, sink);
        return GroundTruth.Of(_options, _world, _skimming, _neighbourhoods, _phishing, _noise);
    }

    private void Emit(PlannedTxn planned, ISimulationSink sink)
    {
        EmitReportsDue(planned.Ticks, sink);
        var card = _world.Cards[planned.Card];
        var terminal = _world.Terminals[planned.Terminal];
        var txnId = string.Create(CultureInfo.InvariantCulture, $"{card.BankId}-{++_transactions}");
        var timestamp = new DateTimeOffset(planned.Ticks, TimeSpan.Zero);
        var transaction = new Transaction
        {
            TxnId = txnId,
            BankId = card.BankId,
            CardToken = card.Token,
            CardBin = card.Bin,
            CardLast4 = card.Last4,
            TerminalId = terminal.Id,
            TerminalType = terminal.Type,
            Timestamp = timestamp,
            AmountMinor = planned.AmountMinor,
            Currency = terminal.Currency,
            EntryMode = planned.EntryMode,
            TxnType = planned.TxnType,
            Approved = planned.Approved,
            Country = terminal.Country,
            Lat = terminal.Lat,
            Lon = terminal.Lon,
        };
        // Partial coverage: a bank that is no partner sends nothing, though its cards are skimmed and cashed out all the same.
        if (_world.PartnerBanks.Contains(card.BankId))
            sink.Transaction(transaction);
        if (planned.Fraud is not { } fraud)
            return;
        // Declined attempts are fraud too (the report names them) but lose nothing.
        var lossPaise = planned.Approved ? (long)Math.Round(planned.AmountMinor * 100 / terminal.MinorPerRupee) : 0;
        fraud.Frauds.Add(new TruthFraud(txnId, timestamp, lossPaise));
        if (fraud.Frauds.Count == 1 && fraud.ReportedAt is { } reportedAt)
            _reportsDue.Enqueue(fraud, reportedAt.UtcTicks);
    }

    /// <summary>The first fraud as the bank writes it: with the reporting family, some reports name the wrong day.</summary>
    private DateTimeOffset? FirstFraudAsReported(FraudCase fraud)
    {
        if (_options.WrongFirstFraudShare <= 0 || fraud.FirstFraudAt is not { } first)
            return fraud.FirstFraudAt;
        var rng = new Rng(_options.Seed, stream: 40_000_000UL + (ulong)_reports);
        if (!rng.Chance(_options.WrongFirstFraudShare))
            return first;
        var wrong = first.AddDays((rng.Chance(0.5) ? -1 : 1) * Math.Round(rng.Uniform(1, 10)));
        return wrong > fraud.ReportedAt ? fraud.ReportedAt : wrong < _options.Start ? _options.Start : wrong;
    }

    private void EmitReportsDue(long untilTicks, ISimulationSink sink)
    {
        while (_reportsDue.TryPeek(out var fraud, out var dueTicks) && dueTicks <= untilTicks)
        {
            _reportsDue.Dequeue();
            if (dueTicks >= _options.End.UtcTicks)
                continue; // filed after the simulated period: the detector never sees it
            var card = _world.Cards[fraud.Card];
            _reports++;
            if (!_world.PartnerBanks.Contains(card.BankId))
                continue;
            sink.FraudReport(new FraudReport
            {
                ReportId = string.Create(CultureInfo.InvariantCulture, $"fr-{card.BankId}-{_reports}"),
                BankId = card.BankId,
                CardToken = card.Token,
                ReportedAt = fraud.ReportedAt!.Value,
                FraudType = fraud.ReportedAs,
                FirstFraudAt = FirstFraudAsReported(fraud),
                FraudTxnIds = [.. fraud.Frauds.Select(f => f.TxnId)],
            });
        }
    }
}
