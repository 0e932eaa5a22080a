using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SkimGuard.Simulator;

namespace SkimGuard.Cli.Commands;

/// <summary>`skimguard simulate`: writes a synthetic Mira-Bhayander's feeds, ATM registry and ground truth.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var defaults = new SimulationOptions();
        var cards = new Option<int>("--cards") { Description = "Cards issued to residents", DefaultValueFactory = _ => defaults.Cards };
        var days = new Option<int>("--days") { Description = "Days to simulate", DefaultValueFactory = _ => defaults.Days };
        var skimmers = new Option<int>("--skimmers") { Description = "Skimmers planted on ATMs", DefaultValueFactory = _ => defaults.Skimmers };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random choice: same seed, same files", DefaultValueFactory = _ => defaults.Seed };
        var start = new Option<string>("--start") { Description = "First simulated day, yyyy-MM-dd (UTC)", DefaultValueFactory = _ => defaults.Start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) };
        var atms = new Option<int>("--atms") { Description = "ATMs in Mira-Bhayander (150 or more)", DefaultValueFactory = _ => defaults.Atms };
        var captureRate = new Option<double>("--capture-rate") { Description = "Share of cards read by a skimmer that it captures", DefaultValueFactory = _ => defaults.CaptureRate };
        var cashoutRate = new Option<double>("--cashout-rate") { Description = "Share of captured cards the gang cashes out", DefaultValueFactory = _ => defaults.CashoutRate };
        var reportRate = new Option<double>("--report-rate") { Description = "Share of defrauded cards their bank reports", DefaultValueFactory = _ => defaults.ReportRate };
        var noiseRate = new Option<double>("--noise-fraud-rate") { Description = "Other fraud per card per day (CNP, lost/stolen, account takeover, cards skimmed elsewhere)", DefaultValueFactory = _ => defaults.NoiseFraudRate };
        var noPhishing = new Option<bool>("--no-phishing-wave") { Description = "Leave out the neighbourhood phishing wave" };
        var output = new Option<string>("--out") { Description = "Output folder", DefaultValueFactory = _ => "out/simulation" };
        // The scenario families (docs/quality/cpp-grid.md): a preset by name, each family's parameter on its own over it.
        var scenario = new Option<string>("--scenario") { Description = $"A scenario preset: {string.Join(", ", ScenarioPresets.Names)}", DefaultValueFactory = _ => "baseline" };
        var trickle = new Option<double?>("--trickle-share") { Description = "Share of clones cashed out one by one over up to six weeks instead of in waves" };
        var unlisted = new Option<double?>("--unlisted-cashout-share") { Description = "Share of clone withdrawals at non-partner ATMs with no registry entry and no coordinates" };
        var unobserved = new Option<int?>("--unobserved-skimmers") { Description = "Compromise points no partner's feed contains, each capturing one neighbourhood's cards" };
        var hubs = new Option<int?>("--hubs") { Description = "Malls used by the victims of two skimmers in the same weeks (each takes two of the skimmers)" };
        var partnerShare = new Option<double?>("--partner-share") { Description = "Share of cards whose banks are partners (send their feeds)" };
        var reportDelay = new Option<double?>("--report-delay-days") { Description = "Median of a long-tailed report delay (0: uniform one to seven days)" };
        var wrongFirstFraud = new Option<double?>("--wrong-first-fraud-share") { Description = "Share of reports naming a wrong first-fraud day" };
        var posSkimmers = new Option<int?>("--pos-skimmers") { Description = "Skimmers (shimmers) on shop readers, besides the ATM skimmers" };

        var command = new Command("simulate", "Write transactions.jsonl, fraud_reports.jsonl, atms.csv and truth.json for a synthetic Mira-Bhayander")
        {
            cards, days, skimmers, seed, start, atms, captureRate, cashoutRate, reportRate, noiseRate, noPhishing, output,
            scenario, trickle, unlisted, unobserved, hubs, partnerShare, reportDelay, wrongFirstFraud, posSkimmers,
        };
        command.SetAction(parse =>
        {
            if (!DateOnly.TryParseExact(parse.GetValue(start), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var startDate))
                return Fail("--start must be a date such as 2026-01-01");
            var options = new SimulationOptions
            {
                Cards = parse.GetValue(cards),
                Days = parse.GetValue(days),
                Skimmers = parse.GetValue(skimmers),
                Seed = parse.GetValue(seed),
                Start = new DateTimeOffset(startDate.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero),
                Atms = parse.GetValue(atms),
                CaptureRate = parse.GetValue(captureRate),
                CashoutRate = parse.GetValue(cashoutRate),
                ReportRate = parse.GetValue(reportRate),
                NoiseFraudRate = parse.GetValue(noiseRate),
                PhishingWave = !parse.GetValue(noPhishing),
            };
            try
            {
                options = ScenarioPresets.Apply(options, parse.GetValue(scenario)!);
                options = options with
                {
                    TrickleShare = parse.GetValue(trickle) ?? options.TrickleShare,
                    UnlistedCashoutShare = parse.GetValue(unlisted) ?? options.UnlistedCashoutShare,
                    UnobservedSkimmers = parse.GetValue(unobserved) ?? options.UnobservedSkimmers,
                    Hubs = parse.GetValue(hubs) ?? options.Hubs,
                    PartnerShare = parse.GetValue(partnerShare) ?? options.PartnerShare,
                    ReportDelayDays = parse.GetValue(reportDelay) ?? options.ReportDelayDays,
                    WrongFirstFraudShare = parse.GetValue(wrongFirstFraud) ?? options.WrongFirstFraudShare,
                    PosSkimmers = parse.GetValue(posSkimmers) ?? options.PosSkimmers,
                };
                options.Validate();
            }
            catch (ArgumentException ex)
            {
                return Fail(ex.Message);
            }
            return Run(options, parse.GetValue(output)!);
        });
        return command;
    }

    private static int Run(SimulationOptions options, string folder)
    {
        var clock = Stopwatch.StartNew();
        var simulation = new Simulation(options);
        using var bar = new ConsoleProgress("simulate");
        var truth = SimulationFiles.Write(simulation, folder, new Progress(bar, clock));
        bar.Finish();
        var captured = truth.Skimmers.Sum(s => s.CapturedCards.Count);
        Console.WriteLine($"wrote {Path.GetFullPath(folder)}: {truth.Skimmers.Count} skimmers, {captured} captured cards, in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 2;
    }

    /// <summary>Reports synchronously on the simulating thread (System.Progress would post to the thread pool).</summary>
    private sealed class Progress(ConsoleProgress bar, Stopwatch clock) : IProgress<SimulationProgress>
    {
        public void Report(SimulationProgress value)
        {
            var records = value.Transactions + value.FraudReports;
            bar.Update((double)value.Day / value.Days,
                $"day {value.Day}/{value.Days}  {records:N0} records  {records / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s");
        }
    }
}
