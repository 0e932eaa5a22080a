using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SkimGuard.Alerts;
using SkimGuard.Alerts.Consuming;
using SkimGuard.Alerts.Store;
using SkimGuard.Contracts.Registry;
using SkimGuard.Detector;
using SkimGuard.Kafka.Mock;
using SkimGuard.Detector.Observability;
using SkimGuard.Ingest;
using SkimGuard.Ingest.Api;
using SkimGuard.Simulator;

namespace SkimGuard.Cli.Commands;

/// <summary>
/// `skimguard demo`: the whole pipeline in this process on embedded defaults. A simulated Mira-Bhayander month with
/// planted skimmers is pushed by its banks through Ingest's HTTP API into Kafka (librdkafka's mock cluster), the
/// Detector (in-process window store) finds the skimmed ATMs, and the Alerts service (SQLite) shows them on the
/// centre's dashboard. The terminal shows progress and each flag; at the end, the flags against the planted skimmers.
/// </summary>
internal static class DemoCommand
{
    private static readonly string DefaultModel = Path.Combine(AppContext.BaseDirectory, "models", "default.zip");

    private const string KeyPrefix = "demo-key-", AdminPassword = "skimguard-demo", OfficerPassword = "officer-demo-password";

    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "The dashboard's port", DefaultValueFactory = _ => 8080 };
        var ingestPort = new Option<int>("--ingest-port") { Description = "Ingest's port (the banks' API)", DefaultValueFactory = _ => 8081 };
        var days = new Option<int>("--days") { Description = "Simulated days, ending today", DefaultValueFactory = _ => 30 };
        // 10,000 cards at a simulated day per second is about 13,000 records a second: within what the detector takes from
        // the in-process Kafka, which keeps only about 5 MiB per partition for a consumer that falls behind.
        var cards = new Option<int>("--cards") { Description = "Cards issued to residents", DefaultValueFactory = _ => 10_000 };
        var skimmers = new Option<int>("--skimmers") { Description = "Skimmers planted on ATMs", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random choice", DefaultValueFactory = _ => 11UL };
        var speed = new Option<double>("--speed") { Description = "Simulated hours per second of real time", DefaultValueFactory = _ => 24.0 };
        var exitWhenDone = new Option<bool>("--exit-when-done") { Description = "Stop after the comparison (for scripts and CI) instead of serving the dashboard" };
        var folder = new Option<string>("--out") { Description = "Where the demo keeps its database and ATM registry", DefaultValueFactory = _ => "out/demo" };
        var command = new Command("demo", "Run the whole pipeline on a simulated Mira-Bhayander month; the dashboard at http://localhost:8080")
        {
            port, ingestPort, days, cards, skimmers, seed, speed, exitWhenDone, folder,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
            var options = new SimulationOptions
            {
                Cards = parse.GetValue(cards), Days = parse.GetValue(days), Skimmers = parse.GetValue(skimmers), Seed = parse.GetValue(seed),
                Start = today.AddDays(-parse.GetValue(days)),
            };
            try
            {
                options.Validate();
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                return 2;
            }
            return await RunAsync(options, parse.GetValue(port), parse.GetValue(ingestPort), parse.GetValue(speed), parse.GetValue(exitWhenDone), parse.GetValue(folder)!, cancellationToken);
        });
        return command;
    }

    private static async Task<int> RunAsync(SimulationOptions options, int port, int ingestPort, double speed, bool exitWhenDone, string folder, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(folder);
        Console.Error.WriteLine($"simulating {options.Cards:N0} cards over {options.Days} days with {options.Skimmers} skimmers ...");
        var town = new BankFeeds();
        var simulation = new Simulation(options);
        var truth = simulation.Run(town, cancellationToken: cancellationToken);
        var registry = Path.GetFullPath(Path.Combine(folder, SimulationFiles.AtmsFile));
        AtmRegistry.Save(registry, simulation.Registry);
        var database = Path.GetFullPath(Path.Combine(folder, $"alerts-{DateTime.UtcNow:yyyyMMdd-HHmmss}.db"));

        Console.Error.WriteLine("starting Kafka (librdkafka's mock cluster, in this process), Alerts, the Detector and Ingest ...");
        using var kafka = MockKafkaCluster.Start();
        // The terminal shows progress and flags; the services' own logs only when something is wrong (the Kafka clients'
        // complaint that a topic does not exist yet, until the first record creates it, is not).
        var quiet = new[] { "--Logging:LogLevel:Default", "Warning", "--Logging:LogLevel:SkimGuard.Alerts.Consuming", "Error" };
        await using var alerts = await AlertsApp.BuildAsync(["--urls", $"http://localhost:{port}", .. quiet], o =>
        {
            o.BootstrapServers = kafka.BootstrapServers;
            o.ConnectionString = $"Data Source={database}";
            o.AdminPassword = AdminPassword;
            o.AtmRegistryPath = registry;
        });
        await using var detector = DetectorApp.Build(["--urls", "http://127.0.0.1:0", .. quiet], o =>
        {
            o.BootstrapServers = kafka.BootstrapServers;
            o.Store = "memory";
            o.AtmRegistryPath = registry;
            o.SessionTimeoutMs = 6000;
            // The default model ships beside the program (models/default.zip, copied at build).
            o.ModelPath = File.Exists(DefaultModel) ? DefaultModel : null;
        });
        await using var ingest = IngestApp.Build(["--urls", $"http://localhost:{ingestPort}", .. quiet], o =>
        {
            o.BootstrapServers = kafka.BootstrapServers;
            o.KafkaPath = false;
            o.TokenSecret = "skimguard-demo-token-secret-not-for-production";
            o.RequestsPerSecondPerBank = 10_000;
            o.Banks = SimulationBanks.Ids.ToDictionary(b => b, b => new BankAccess { ApiKeyHashes = [ApiKeys.HashOf(KeyPrefix + b)] });
        });
        try
        {
            await alerts.StartAsync(cancellationToken);
            await detector.StartAsync(cancellationToken);
            await ingest.StartAsync(cancellationToken);
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"cannot listen ({e.Message}): choose free ports with --port and --ingest-port");
            return 2;
        }
        await alerts.Services.GetRequiredService<SkimGuard.Alerts.Security.Users>().CreateAsync("officer", OfficerPassword, "officer", null, cancellationToken);
        Console.WriteLine($"fraud model: {detector.Services.GetRequiredService<Detector.Consuming.ModelScoring>().Scoring?.ModelVersion ?? "none (models/default.zip not found)"}");
        Console.WriteLine($"dashboard: http://localhost:{port}  (sign in as officer / {OfficerPassword}, or admin / {AdminPassword})");

        // Ctrl+C or SIGTERM reaches the demo two ways: System.CommandLine's token, and each embedded host's console
        // lifetime, which stops that host and holds the process open until Main returns. Either ends the run here.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken,
            alerts.Lifetime.ApplicationStopping, detector.Lifetime.ApplicationStopping, ingest.Lifetime.ApplicationStopping);
        var flags = PrintFlagsAsync(alerts, stop.Token);
        try
        {
            var pushed = await PushAsync(town, ingestPort, speed, options, stop.Token);
            await WaitForDetectorAsync(detector, pushed, stop.Token);
            var flagged = await WaitForAlertsAsync(detector, alerts, stop.Token);
            Compare(truth, flagged);
            if (!exitWhenDone)
            {
                Console.WriteLine($"done; the dashboard stays at http://localhost:{port} until Ctrl+C");
                await Task.Delay(Timeout.Infinite, stop.Token);
            }
        }
        catch (Exception e) when (stop.IsCancellationRequested && e is OperationCanceledException or HttpRequestException)
        {
            // (A push under way when Ingest stops fails as a refused connection rather than as a cancellation.)
            Console.Error.WriteLine();
            Console.Error.WriteLine("stopping ...");
        }
        await stop.CancelAsync();
        await flags;
        // Each within a few seconds: the consume loops leave their groups, Kestrel closes its connections.
        using var shutdown = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await Task.WhenAll(ingest.StopAsync(shutdown.Token), detector.StopAsync(shutdown.Token), alerts.StopAsync(shutdown.Token));
        Console.Error.WriteLine("stopped");
        return 0;
    }

    /// <summary>The banks send the town's records in event-time order, <paramref name="speed"/> simulated hours per second.</summary>
    private static async Task<long> PushAsync(BankFeeds town, int ingestPort, double speed, SimulationOptions options, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{ingestPort}") };
        var clock = Stopwatch.StartNew();
        long accepted = 0;
        var start = options.Start;
        foreach (var hour in town.InEventTimeOrder().GroupBy(e => (long)(e.Time - start).TotalHours))
        {
            var due = TimeSpan.FromSeconds(hour.Key / speed);
            if (due > clock.Elapsed)
                await Task.Delay(due - clock.Elapsed, cancellationToken);
            accepted += (await BankFeeds.SendAsync(http, KeyPrefix, hour, cancellationToken)).Accepted;
            Console.Error.Write($"\r{start.AddHours(hour.Key + 1):yyyy-MM-dd HH}:00  {accepted:N0} records pushed through Ingest   ");
        }
        Console.Error.WriteLine();
        return accepted;
    }

    private static async Task WaitForDetectorAsync(WebApplication detector, long events, CancellationToken cancellationToken)
    {
        var metrics = detector.Services.GetRequiredService<DetectorMetrics>();
        double Handled() => new[] { metrics.Processed, metrics.Duplicates }.Sum(c => c.GetAllLabelValues().Sum(l => c.WithLabels(l).Value));
        var deadline = DateTime.UtcNow.AddMinutes(10);
        while ((Handled() < events || metrics.CaughtUp.Value < 1) && DateTime.UtcNow < deadline)
            await Task.Delay(200, cancellationToken);
    }

    /// <summary>
    /// The centre's alerts once every alert the detector raised has reached its store (a fixed pause was not enough on a
    /// loaded machine), or after a minute.
    /// </summary>
    private static async Task<List<AlertSummary>> WaitForAlertsAsync(WebApplication detector, WebApplication alerts, CancellationToken cancellationToken)
    {
        var raised = detector.Services.GetRequiredService<DetectorMetrics>().Alerts.WithLabels("raised").Value;
        var store = alerts.Services.GetRequiredService<AlertStore>();
        var deadline = DateTime.UtcNow.AddMinutes(1);
        List<AlertSummary> flagged;
        while ((flagged = await store.ListAsync(new AlertFilter(Limit: 10_000), cancellationToken)).Count < raised && DateTime.UtcNow < deadline)
            await Task.Delay(200, cancellationToken);
        await Task.Delay(200, cancellationToken); // the live event of the last one is printed
        return flagged;
    }

    private static async Task PrintFlagsAsync(WebApplication alerts, CancellationToken cancellationToken)
    {
        var store = alerts.Services.GetRequiredService<AlertStore>();
        try
        {
            await foreach (var e in alerts.Services.GetRequiredService<AlertEvents>().ListenAsync(cancellationToken))
            {
                if (e.Kind != "raised" || await store.GetAsync(e.AlertId, cancellationToken) is not { } detail)
                    continue;
                var a = detail.Alert;
                Console.Error.WriteLine();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"FLAG {a.TerminalId} {a.Locality}: {a.CompromisedCards:0.#} compromised cards of {a.ExposedCards}, p {a.PValue:E1}, skimmer period {a.WindowFrom:MM-dd} to {a.WindowTo:MM-dd}"));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Compare(GroundTruth truth, List<AlertSummary> flagged)
    {
        var planted = truth.Skimmers.Select(s => s.TerminalId).ToHashSet(StringComparer.Ordinal);
        var found = flagged.Where(a => planted.Contains(a.TerminalId)).Select(a => a.TerminalId).Distinct().ToList();
        var wrong = flagged.Where(a => !planted.Contains(a.TerminalId)).Select(a => a.TerminalId).Distinct().ToList();
        Console.WriteLine();
        Console.WriteLine($"planted skimmers: {planted.Count}; flagged: {flagged.Count}");
        foreach (var skimmer in truth.Skimmers)
            Console.WriteLine($"  {skimmer.TerminalId,-14} {skimmer.Locality,-18} {(found.Contains(skimmer.TerminalId) ? "FOUND" : "missed")}");
        foreach (var terminal in wrong)
            Console.WriteLine($"  {terminal,-14} flagged without a planted skimmer");
        Console.WriteLine($"found {found.Count} of {planted.Count} planted skimmers, {wrong.Count} other flags");
    }
}
