using System.Globalization;
using SkimGuard.Simulator;
using SkimGuard.Simulator.Scoring;

namespace SkimGuard.Bench;

/// <summary>
/// The CPP engine on worlds it was not built with: every scenario family alone and the realistic mix, at 5, 10 and
/// 30 % of captured cards cashed out, several seeds a cell, each scored against its truth and against the oracle
/// (the fastest a test knowing the true terminal and start could flag). Tuning seeds and evaluation seeds are kept
/// apart: the page reports the evaluation seeds; <c>--tune</c> runs the tuning seeds, for working on the engine.
/// </summary>
internal static class CppQualityGrid
{
    /// <summary>Seeds the engine may be tuned on; the page never reports them.</summary>
    public const int FirstTuningSeed = 1;

    /// <summary>The last seed the engine has been tuned on so far (`--tune --seeds 5`); far below the evaluation seeds.</summary>
    public const int LastTuningSeed = 5;

    /// <summary>Seeds the page reports; nobody tunes on them.</summary>
    public const int FirstEvaluationSeed = 101;

    private static readonly double[] DefaultCashoutRates = [0.05, 0.10, 0.30];

    public static async Task<int> RunAsync(string[] args)
    {
        var tune = args.Contains("--tune");
        var seeds = Args.Int(args, "--seeds", tune ? 3 : 5);
        var cards = Args.Int(args, "--cards", 30_000);
        var days = Args.Int(args, "--days", 60);
        var families = Args.Text(args, "--families", string.Join(',', ScenarioPresets.Names)).Split(',');
        var rates = Args.Text(args, "--cashout", "0.05,0.10,0.30").Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture)).ToArray();
        // The hub rule is off by default; its own page shows what it costs (CppOptions.ExplainByConcentration).
        var hubRule = args.Contains("--explain-by-concentration");
        // The local test's tail, swept when tuning it (CppOptions.LocalAlpha).
        var localAlpha = args.Contains("--local-alpha") ? double.Parse(Args.Text(args, "--local-alpha", ""), CultureInfo.InvariantCulture) : (double?)null;
        var engine = new Engine.Cpp.CppOptions { ExplainByConcentration = hubRule };
        if (localAlpha is { } alpha)
            engine = engine with { LocalAlpha = alpha };
        var report = Args.Text(args, "--report", tune ? "out/cpp-grid-tuning.md" : hubRule ? "docs/quality/cpp-grid-hub-rule.md"
            : localAlpha is { } swept ? string.Create(CultureInfo.InvariantCulture, $"docs/quality/cpp-grid-local-alpha-{swept:0e0}.md") : "docs/quality/cpp-grid.md");
        var firstSeed = tune ? FirstTuningSeed : FirstEvaluationSeed;
        var command = $"dotnet run -c Release --project bench -- cpp-quality --grid{(tune ? " --tune" : "")}{(hubRule ? " --explain-by-concentration" : "")} --seeds {seeds} --cards {cards} --days {days}"
            + (localAlpha is { } a ? string.Create(CultureInfo.InvariantCulture, $" --local-alpha {a:0e0}") : "")
            + (families.Length == ScenarioPresets.Names.Length ? "" : $" --families {string.Join(',', families)}")
            + (rates.SequenceEqual(DefaultCashoutRates) ? "" : $" --cashout {string.Join(',', rates.Select(r => r.ToString(CultureInfo.InvariantCulture)))}");

        var cells = new List<Cell>();
        foreach (var family in families)
            foreach (var rate in rates)
            {
                // The seeds of a cell are independent worlds: one per core at a time.
                var rows = new QualityReport[seeds];
                await Parallel.ForAsync(0, seeds, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, async (i, _) =>
                {
                    var options = ScenarioPresets.Apply(new SimulationOptions { Cards = cards, Days = days, Skimmers = 4, Seed = (ulong)(firstSeed + i), CashoutRate = rate }, family);
                    rows[i] = await CppQualityBenchmark.RunOneAsync(options, engine);
                });
                var pooled = CppQualityBenchmark.Pool([.. rows]);
                cells.Add(new Cell(family, rate, pooled, rows));
                Console.Error.WriteLine(Row(family, rate, pooled));
            }

        var lines = Page(command, tune, hubRule, seeds, firstSeed, cards, days, cells);
        if (localAlpha is { } tail)
            lines[0] = string.Create(CultureInfo.InvariantCulture, $"# CPP engine quality grid with the local test's tail at {tail:0e0} (the default is {new Engine.Cpp.CppOptions().LocalAlpha:0e0})");
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(report))!);
        await File.WriteAllLinesAsync(report, lines);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }

    private static List<string> Page(string command, bool tune, bool hubRule, int seeds, int firstSeed, int cards, int days, List<Cell> cells)
    {
        var lines = new List<string>
        {
            hubRule ? "# CPP engine quality grid with the hub rule on (ExplainByConcentration)" : "# CPP engine quality grid: scenario families, an oracle, and the goals",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} with the engine's default options{(hubRule ? " and the hub rule on (docs/cpp-engine.md, step 4)" : "")}. Each cell pools {seeds} simulated towns "
                + $"({cards:N0} cards, {days} days, 4 ATM skimmers plus what the family adds), seeds {firstSeed}-{firstSeed + seeds - 1}: "
                + (tune ? "the **tuning** seeds." : $"the **evaluation** seeds. The engine is tuned only on seeds {FirstTuningSeed}-{LastTuningSeed} (`--tune`), never on these."),
            "",
            "```",
            command,
            "```",
            "",
            "The families (`src/Simulator/ScenarioPresets.cs`; each is a `skimguard simulate` option too):",
            "",
            "| family | what it adds |",
            "| --- | --- |",
            "| baseline | the world the engine was built on: 4 ATM skimmers, cash-out waves days after, busy station ATMs, a phishing-wave neighbourhood |",
            "| trickle | 70 % of the clones cashed out one by one after a long-tailed delay (median 10 days, up to 6 weeks) instead of in waves |",
            "| unlisted-cashout | half the clone withdrawals at non-partner ATMs in Indian cities: in no registry, no coordinates |",
            "| unobserved | 2 compromise points no partner's feed contains (a handheld skimmer at a merchant), each capturing one neighbourhood's cards: the echo |",
            "| hub | a mall's shop used by two neighbourhoods, two of the skimmers on ATMs in its locality in the same weeks |",
            "| partial-coverage | only banks holding 60 % of the cards are partners; the rest send nothing |",
            "| reporting | report delays long-tailed around 5 days (2 hours to 45 days), 30 % never reported, 30 % naming a wrong first-fraud day |",
            "| pos-skimmers | 2 shimmers on shop readers besides the ATM skimmers |",
            "| realistic | all of them at once, milder: 40 % trickle, 30 % unlisted, 1 unobserved point, 1 hub, 70 % coverage, 4-day reports (25 % never, 20 % wrong day), 1 shimmer |",
            "",
            "Columns: *found (detectable)*: skimmers flagged, of all and of those the oracle can flag inside the data. *Oracle*: at every moment a",
            "visitor of the true terminal becomes known compromised (a stripe cash-out abroad at once, else its counterfeit report on arrival), every",
            "window from the true start to a later visit, k known compromised of n visitors against the base rate then (known compromised / active",
            "cards), flagged at Poisson tail < 1e-6 (MathNet, not the engine's code). *False alarms*: echo (evidence mostly one compromise point's",
            "victims) / hub / busy station / other; every alert ever raised counts, withdrawn or not. *Withdrawn*: alerts whose last state is",
            "withdrawn, on terminals with no skimmer / on skimmed ones. *h*: median hours from a skimmer's first cash-out to the engine's flag and to the oracle's.",
            "*At-risk precision*: listed cards that really used a skimmed terminal while it was skimmed; *recall*: captured cards listed before",
            "their first fraud. *Prevented*: rupees of skimming fraud after the cards were listed, engine and oracle.",
            "",
            "| family | cash-out | found (detectable) | recall det. | recall all | alerts | precision | false: echo/hub/busy/other | withdrawn: false/true | h engine | h oracle | h ratio | at-risk precision | at-risk recall | prevented engine | prevented oracle | ratio |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        };
        lines.AddRange(cells.Select(c => Row(c.Family, c.Rate, c.Pooled)));
        lines.Add("");
        lines.Add("## Goals (issue 19) on these seeds");
        lines.Add("");
        lines.AddRange(Misses(cells));
        lines.Add("");
        lines.Add("## Why each detectable skimmer was missed");
        lines.Add("");
        lines.AddRange(MissedSkimmers(cells));
        lines.Add("");
        lines.Add("## Every false alarm");
        lines.Add("");
        lines.AddRange(FalseAlarms(cells, firstSeed));
        return lines;
    }

    /// <summary>One cell of the grid: a family at a cash-out share, its seeds pooled, and each seed's own scores.</summary>
    private sealed record Cell(string Family, double Rate, QualityReport Pooled, QualityReport[] Seeds);

    /// <summary>Each terminal flagged with no skimmer: in which world, of what kind, on what evidence.</summary>
    private static List<string> FalseAlarms(List<Cell> cells, int firstSeed)
    {
        var rows = cells.SelectMany(c => c.Seeds.SelectMany((q, i) => q.FalseAlarms.Select(f => string.Create(CultureInfo.InvariantCulture,
            $"| {c.Family} | {c.Rate:P0} | {firstSeed + i} | {f.TerminalId} | {f.Kind} | {f.K:0.#} of {f.N} | {f.PValue:0.0e0} | {(f.Withdrawn ? "yes" : "no")} |")))).ToList();
        return rows.Count == 0 ? ["None."]
            : ["| family | cash-out | seed | terminal | kind | k of n | p | withdrawn |", "| --- | ---: | ---: | --- | --- | ---: | ---: | --- |", .. rows];
    }

    private static string Row(string family, double rate, QualityReport q)
    {
        var hoursRatio = q.MedianHoursFirstCashoutToFlag is { } h && q.MedianOracleHours is { } o && o > 0 ? (h / o).ToString("F2", CultureInfo.InvariantCulture) : "-";
        var lossRatio = q.OraclePreventableLossRupees > 0 ? (q.PreventableLossRupees / q.OraclePreventableLossRupees).ToString("F2", CultureInfo.InvariantCulture) : "-";
        return string.Create(CultureInfo.InvariantCulture,
            $"| {family} | {rate:P0} | {q.FoundSkimmers}/{q.Skimmers} ({q.FoundDetectableSkimmers}/{q.DetectableSkimmers}) | {q.RecallDetectable:F2} | {q.RecallAll:F2} | {q.Alerts} | {q.Precision:F2} | {q.EchoAlerts}/{q.HubAlerts}/{q.BusyTerminalAlerts}/{q.OtherFalseAlerts} | {q.WithdrawnFalseAlerts}/{q.WithdrawnTrueAlerts} | {q.MedianHoursFirstCashoutToFlag:F0} | {q.MedianOracleHours:F0} | {hoursRatio} | {q.AtRiskPrecision:F2} | {q.ShareListedBeforeFraud:F2} | {q.PreventableLossRupees:N0} | {q.OraclePreventableLossRupees:N0} | {lossRatio} |");
    }

    /// <summary>
    /// Each skimmer the oracle could flag and the engine did not, with the engine's last word on its terminal: held back
    /// as an echo, explained away (by what the explaining terminals truly were), or never significant.
    /// </summary>
    private static List<string> MissedSkimmers(List<Cell> cells)
    {
        var missed = cells.SelectMany(c => c.Pooled.PerSkimmer.Where(s => s.Detectable && s.FlaggedAt is null)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"| {c.Family} | {c.Rate:P0} | {s.TerminalId} ({s.Kind}) | {s.CashedOut} of {s.Visitors} | {s.MissReason} |"))).ToList();
        return missed.Count == 0 ? ["None."]
            : ["| family | cash-out | terminal | cashed out of visitors | the engine's last word |", "| --- | ---: | --- | ---: | --- |", .. missed];
    }

    /// <summary>Every cell that misses a goal, and by how much.</summary>
    private static List<string> Misses(List<Cell> cells)
    {
        var misses = new List<string>();
        foreach (var (family, rate, q, _) in cells)
        {
            var cell = string.Create(CultureInfo.InvariantCulture, $"{family} at {rate:P0}");
            if (q.Precision < 0.95)
                misses.Add(string.Create(CultureInfo.InvariantCulture, $"- {cell}: precision {q.Precision:F3} < 0.95"));
            var recallGoal = rate < 0.1 ? 0.90 : 0.95;
            if (q.RecallDetectable < recallGoal)
                misses.Add(string.Create(CultureInfo.InvariantCulture,
                    $"- {cell}: recall of detectable skimmers {q.FoundDetectableSkimmers}/{q.DetectableSkimmers} = {q.RecallDetectable:F3} < {recallGoal:F2}"));
            if (rate >= 0.1 && q.MedianHoursFirstCashoutToFlag is { } h && q.MedianOracleHours is { } o && h > 1.2 * o)
                misses.Add(string.Create(CultureInfo.InvariantCulture, $"- {cell}: median time to flag {h:F0} h > 1.2 x the oracle's {o:F0} h"));
            if (q.ListedCards > 0 && q.AtRiskPrecision < 0.8)
                misses.Add(string.Create(CultureInfo.InvariantCulture, $"- {cell}: at-risk precision {q.AtRiskPrecision:F3} < 0.8"));
            if (rate >= 0.3 && q.OraclePreventableLossRupees > 0 && q.PreventableLossRupees < 0.8 * q.OraclePreventableLossRupees)
                misses.Add(string.Create(CultureInfo.InvariantCulture, $"- {cell}: preventable loss {q.PreventableLossRupees / q.OraclePreventableLossRupees:F2} x the oracle's < 0.8"));
        }
        return misses.Count == 0 ? ["Every goal is met in every cell."] : ["Cells that miss a goal:", "", .. misses];
    }
}
