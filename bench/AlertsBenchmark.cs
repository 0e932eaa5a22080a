using System.Diagnostics;
using System.Net.Http.Json;
using SkimGuard.Alerts;
using SkimGuard.Alerts.Store;
using SkimGuard.Contracts;

namespace SkimGuard.Bench;

/// <summary>
/// The alerts API with a full store: 10,000 alerts and 100,000 cards at risk in SQLite; p50/p99 of the dashboard's
/// requests (the list, the map's ATMs, an alert's page, a bank's cards, the summary), one client at a time.
/// </summary>
internal static class AlertsBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var alerts = Args.Int(args, "--alerts", 10_000);
        var cardsPerAlert = Args.Int(args, "--cards-per-alert", 10);
        var requests = Args.Int(args, "--requests", 300);
        var report = Args.Text(args, "--report", "docs/benchmarks/alerts.md");
        var file = Path.Combine(Path.GetTempPath(), $"alerts-bench-{Guid.NewGuid():N}.db");

        Console.Error.WriteLine($"filling {file} with {alerts:N0} alerts and {alerts * cardsPerAlert:N0} cards at risk ...");
        var store = new AlertStore(new Database("sqlite", $"Data Source={file}"), TimeProvider.System);
        await store.InitializeAsync();
        var banks = new[] { "sbi", "hdfc", "icici", "axis", "bob" };
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < alerts; i++)
        {
            var alert = new AtmAlert
            {
                AlertId = $"ATM-{i:00000}@x", TerminalId = $"ATM-{i:00000}", TerminalType = TerminalType.Atm, Status = AlertStatus.Raised,
                Location = new TerminalLocation { Locality = $"Locality {i % 12}", BankId = banks[i % banks.Length], Lat = 19.25 + i % 100 * 0.001, Lon = 72.82 + i / 100 % 100 * 0.001 },
                Score = 6 + i % 50 / 10.0, PValue = 1e-7, CompromisedCards = 3 + i % 7, ExposedCards = 50 + i % 200, Expected = 0.2,
                WindowFrom = t0.AddHours(i), WindowTo = t0.AddHours(i + 96), CardsAtRisk = cardsPerAlert, FirstFlaggedAt = t0.AddHours(i + 300), UpdatedAt = t0.AddHours(i + 300),
                ModelVersion = "none", Evidence = [],
            };
            await store.ApplyAsync(alert);
            await store.ApplyAsync(new CardsAtRisk
            {
                AlertId = alert.AlertId, TerminalId = alert.TerminalId, BankId = banks[i % banks.Length], IssuedAt = alert.UpdatedAt,
                WindowFrom = alert.WindowFrom, WindowTo = alert.WindowTo, CardTokens = [.. Enumerable.Range(0, cardsPerAlert).Select(c => $"ct_{i:00000}_{c:00}")],
            });
        }

        var app = await AlertsApp.BuildAsync(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], o =>
        {
            o.Consume = false;
            o.ConnectionString = $"Data Source={file}";
            o.AdminPassword = "benchmark-admin-password";
        });
        await app.StartAsync();
        using var http = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(app.Urls.First()) };
        (await http.PostAsJsonAsync("/api/login", new { name = "admin", password = "benchmark-admin-password" })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/api/users", new { name = "sbi.user", password = "benchmark-bank-password", role = "bank", bank_id = "sbi" })).EnsureSuccessStatusCode();
        using var bank = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(app.Urls.First()) };
        (await bank.PostAsJsonAsync("/api/login", new { name = "sbi.user", password = "benchmark-bank-password" })).EnsureSuccessStatusCode();

        var cases = new (string Name, HttpClient Client, Func<int, string> Path)[]
        {
            ("the list (open, strongest first, 500)", http, _ => "/api/alerts?status=open"),
            ("the list filtered by locality", http, i => $"/api/alerts?locality=Locality%20{i % 12}"),
            ("an alert's page", http, i => $"/api/alerts/ATM-{i * 31 % alerts:00000}@x"),
            ("the map's ATMs", http, _ => "/api/atms"),
            ("a bank's cards at risk (10,000)", bank, _ => "/api/cards-at-risk"),
            ("the summary figures", http, _ => "/api/summary"),
        };
        var rows = new List<string>();
        foreach (var (name, client, path) in cases)
        {
            for (var i = 0; i < 20; i++)
                (await client.GetAsync(path(i))).EnsureSuccessStatusCode(); // warm-up
            var times = new List<double>();
            for (var i = 0; i < requests; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await client.GetAsync(path(i));
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            times.Sort();
            rows.Add($"| {name} | {times[times.Count / 2]:F1} ms | {times[(int)(times.Count * 0.99)]:F1} ms |");
            Console.Error.WriteLine(rows[^1]);
        }
        await app.StopAsync();
        await app.DisposeAsync();

        var lines = new List<string>
        {
            "# Alerts API speed",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} on this project's machine ({Environment.ProcessorCount} cores), .NET {Environment.Version}, Release build; SQLite (WAL),",
            $"{alerts:N0} alerts and {alerts * cardsPerAlert:N0} cards at risk; {requests} requests per row, one at a time, after 20 of warm-up; each includes the",
            "session lookup. Goal: p99 under 50 ms.",
            "",
            "```",
            $"dotnet run -c Release --project bench -- alerts --alerts {alerts} --cards-per-alert {cardsPerAlert} --requests {requests}",
            "```",
            "",
            "| request | p50 | p99 |",
            "| --- | ---: | ---: |",
        };
        lines.AddRange(rows);
        await File.WriteAllLinesAsync(report, lines);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }
}
