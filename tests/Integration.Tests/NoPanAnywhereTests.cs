using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.Detector;
using SkimGuard.Detector.Observability;
using SkimGuard.Kafka.Mock;
using SkimGuard.Simulator;
using SkimGuard.TestSupport;
using StackExchange.Redis;

namespace SkimGuard.Integration.Tests;

/// <summary>
/// The whole pipeline (Ingest, the detector on Redis, Alerts on SQLite, one Kafka cluster) fed a simulated town whose
/// banks send card numbers instead of tokens, in every writing, plus hostile records with card numbers in ids and names,
/// over HTTP and the Kafka path. Afterwards not one of those card numbers is in any topic but the incoming one (which
/// holds the banks' raw records by design, kept a day: docs/ingest.md), any log line of any service, any response, the
/// alerts database or Redis.
/// </summary>
public sealed partial class NoPanAnywhereTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    private const string Secret = "no-pan-anywhere-token-secret-of-32-bytes";
    private static readonly string[] Banks = [.. SimulationBanks.Ids];

    [Fact]
    public async Task NoCardNumberReachesATopicALogLineAResponseOrADatabase()
    {
        var cancel = TestContext.Current.CancellationToken;
        var town = SimulationRecords.Of(new SimulationOptions { Cards = 6000, Days = 20, Start = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-21), TimeSpan.Zero) });
        var pans = town.Transactions.Select(t => t.CardToken).Distinct().ToDictionary(token => token, PanOf);
        var folder = Directory.CreateTempSubdirectory("skimguard-nopan-").FullName;
        var database = Path.Combine(folder, "alerts.db");
        var log = new CapturedLog();
        void Capture(ILoggingBuilder logging) => logging.AddProvider(log).SetMinimumLevel(LogLevel.Trace);

        using var kafka = MockKafkaCluster.Start();
        // Information and up from every service: the scan reads what a deployment would log.
        var detectorArgs = new[] { "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Information" };
        await using var alerts = await SkimGuard.Alerts.AlertsApp.BuildAsync(["--urls", $"http://127.0.0.1:{FreePort.Next()}"], o =>
        {
            o.BootstrapServers = kafka.BootstrapServers;
            o.ConnectionString = $"Data Source={database}";
            o.AdminPassword = "admin-password-for-the-pan-test";
        }, Capture);
        await using var detector = DetectorApp.Build(detectorArgs, o =>
        {
            o.BootstrapServers = kafka.BootstrapServers;
            o.Redis = redis.Server.ConnectionString;
            o.RedisKeyPrefix = "nopan";
            o.SessionTimeoutMs = 6000;
        }, Capture);
        var ingestPort = FreePort.Next();
        await using var ingest = SkimGuard.Ingest.IngestApp.Build(["--urls", $"http://127.0.0.1:{ingestPort}"], o =>
        {
            o.BootstrapServers = kafka.BootstrapServers;
            o.TokenSecret = Secret;
            o.RequestsPerSecondPerBank = 10_000;
            o.Banks = Banks.ToDictionary(b => b, b => new SkimGuard.Ingest.BankAccess { ApiKeyHashes = [SkimGuard.Ingest.Api.ApiKeys.HashOf("key-" + b)] });
        }, Capture);
        await alerts.StartAsync(cancel);
        await detector.StartAsync(cancel);
        await ingest.StartAsync(cancel);

        // The town over HTTP, each card as a PAN in one of the writings the edge accepts; then hostile records on both paths.
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ingestPort}") };
        var accepted = 0L;
        foreach (var (bank, isReport, lines) in TownWithPans(town, pans))
            accepted += await PostAsync(http, bank, isReport, lines, log);
        Assert.Equal(town.Transactions.Count + town.Reports.Count, accepted);
        var hostile = HostileRecords(pans.Values.Take(4).ToList());
        await PostAsync(http, "sbi", false, hostile, log);
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            foreach (var record in hostile.Concat(TownWithPans(town, pans).First().Lines.Take(20)))
                await producer.ProduceAsync(Topics.Incoming, new Message<string, byte[]>
                {
                    Key = pans.Values.First(), Value = Encoding.UTF8.GetBytes(record),
                    Headers = new Headers { { IncomingHeaders.Bank, "sbi"u8.ToArray() }, { IncomingHeaders.Record, "transaction"u8.ToArray() } },
                }, cancel);
        }

        // Until the detector has applied everything and the centre holds its alerts and cards at risk.
        var metrics = detector.Services.GetRequiredService<DetectorMetrics>();
        var store = alerts.Services.GetRequiredService<SkimGuard.Alerts.Store.AlertStore>();
        double Sum(Prometheus.Counter c) => c.GetAllLabelValues().Sum(l => c.WithLabels(l).Value);
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline && !(Sum(metrics.Processed) + Sum(metrics.Duplicates) >= accepted && metrics.CaughtUp.Value == 1
                   && metrics.Alerts.WithLabels("raised").Value > 0 && (await store.ListAsync(new SkimGuard.Alerts.Store.AlertFilter(Limit: 100), cancel)).Count >= metrics.Alerts.WithLabels("raised").Value
))
            await Task.Delay(250, cancel);
        Assert.True(metrics.Alerts.WithLabels("raised").Value > 0,
            $"the town's skimmers raised no alert, so the test would prove little: {accepted} accepted, {Sum(metrics.Processed)} processed, {Sum(metrics.Duplicates)} duplicates, caught up {metrics.CaughtUp.Value}\n{string.Join('\n', log.Lines.Where(l => !l.Contains(" Debug:", StringComparison.Ordinal) && !l.Contains(" Trace:", StringComparison.Ordinal)).TakeLast(30))}");
        await Task.Delay(2000, cancel); // the cards at risk behind the last alert

        // What the centre's people and the banks read.
        var alertsUrl = alerts.Urls.First();
        using var officer = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = new Uri(alertsUrl) };
        (await officer.PostAsJsonAsync("/api/login", new { name = "admin", password = "admin-password-for-the-pan-test" }, cancel)).EnsureSuccessStatusCode();
        var list = await officer.GetStringAsync("/api/alerts", cancel);
        log.Responses.Enqueue(list);
        foreach (var id in JsonNode.Parse(list)!.AsArray().Select(a => (string)a!["alert_id"]!))
        {
            log.Responses.Enqueue(await officer.GetStringAsync($"/api/alerts/{Uri.EscapeDataString(id)}", cancel));
            log.Responses.Enqueue(await officer.GetStringAsync($"/api/alerts/{Uri.EscapeDataString(id)}/report", cancel));
        }
        foreach (var path in new[] { "/api/alerts.csv", "/api/cards-at-risk?limit=10000", "/api/summary" })
            log.Responses.Enqueue(await officer.GetStringAsync(path, cancel));
        Assert.Contains(log.Responses, r => r.Contains("\"card_tokens\"", StringComparison.Ordinal) || r.Contains("ct_", StringComparison.Ordinal));

        await ingest.StopAsync(cancel);
        await detector.StopAsync(cancel);
        await alerts.StopAsync(cancel);

        var leaks = new List<string>();
        void Scan(string where, string text, bool anyCardNumber)
        {
            foreach (var digits in DigitRuns(text))
                if (pans.ContainsValue(digits))
                    leaks.Add($"{where}: a card number of the town");
            // Any other Luhn-valid run of digits counts too, once the alerts' fractions are set aside: a p-value such as
            // 5.414281386055532E-11 is sixteen digits with a dot, which the scanner reads as a dotted card number.
            var words = Fraction().Replace(text, "#");
            if (anyCardNumber && PanScanner.FindPans(words).Count > 0)
                leaks.Add($"{where}: card-number-shaped {string.Join(", ", PanScanner.FindPans(words))} in {words[..Math.Min(600, words.Length)]}");
        }

        List<string> topics;
        using (var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = kafka.BootstrapServers }).Build())
            topics = [.. admin.GetMetadata(TimeSpan.FromSeconds(10)).Topics.Select(t => t.Topic)];
        Assert.Contains(Topics.Transactions, topics);
        Assert.Contains(Topics.Rejected, topics);
        Assert.Contains(Topics.AtmAlerts, topics);
        Assert.Contains(Topics.CardsAtRisk, topics);
        foreach (var topic in topics.Where(t => t != Topics.Incoming))
            foreach (var message in ReadAll(kafka.BootstrapServers, topic))
                Scan($"topic {topic}", message, anyCardNumber: true);
        foreach (var line in log.Lines)
            Scan("log line", line, anyCardNumber: true);
        foreach (var response in log.Responses)
            Scan("response", response, anyCardNumber: true);
        foreach (var file in Directory.GetFiles(folder, "alerts.db*"))
            Scan($"database file {Path.GetFileName(file)}", Encoding.Latin1.GetString(await File.ReadAllBytesAsync(file, cancel)), anyCardNumber: false);
        var redisText = await RedisContentsAsync(redis.Server.ConnectionString, "nopan");
        Assert.True(redisText.Length > 10_000, "the detector wrote next to nothing to Redis");
        Scan("redis", redisText, anyCardNumber: false);

        Assert.True(leaks.Count == 0, string.Join('\n', leaks.Distinct().Take(20)));
        // The incoming topic does hold the raw records: the scan above is not blind.
        Assert.Contains(ReadAll(kafka.BootstrapServers, Topics.Incoming), m => DigitRuns(m).Any(pans.ContainsValue));
    }

    /// <summary>A card's PAN, made from its token: a Visa-like 16 digits with a valid Luhn check digit.</summary>
    private static string PanOf(string token)
    {
        var hash = System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(token));
        var payload = "4" + string.Concat(hash.Take(14).Select(b => (char)('0' + b % 10)));
        return payload + Luhn.CheckDigit(payload);
    }

    /// <summary>The town's records with "pan" in place of "card_token", written plain, in groups of four with spaces, or with dashes.</summary>
    private static IEnumerable<(string Bank, bool IsReport, List<string> Lines)> TownWithPans(SimulationRecords town, Dictionary<string, string> pans)
    {
        string Written(string pan, int i) => (i % 3) switch
        {
            0 => pan,
            1 => string.Join(' ', pan.Chunk(4).Select(c => new string(c))),
            _ => string.Join('-', pan.Chunk(4).Select(c => new string(c))),
        };
        JsonObject WithPan(JsonObject record, int i)
        {
            var token = (string)record["card_token"]!;
            record.Remove("card_token");
            record["pan"] = Written(pans[token], i);
            return record;
        }
        // In event-time order, a simulated day at a time, each day's records one request per bank and kind, as banks send them.
        return town.Events.Select((e, i) => e.Transaction is { } t
                ? (Day: t.Timestamp.Date, t.BankId, IsReport: false, Json: WithPan(JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(t, SkimGuard.Contracts.Json.ContractsJsonContext.Default.Transaction))!.AsObject(), i).ToJsonString())
                : (Day: e.Report!.ReportedAt.Date, e.Report.BankId, IsReport: true, Json: WithPan(JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(e.Report, SkimGuard.Contracts.Json.ContractsJsonContext.Default.FraudReport))!.AsObject(), i).ToJsonString()))
            .GroupBy(r => (r.Day, r.BankId, r.IsReport)).Select(g => (g.Key.BankId, g.Key.IsReport, g.Select(r => r.Json).ToList()));
    }

    /// <summary>Card numbers where none belongs: in ids, in a terminal's name, in every writing, and in broken JSON.</summary>
    private static List<string> HostileRecords(List<string> pans)
    {
        var now = DateTimeOffset.UtcNow.AddMinutes(-10).ToString("O");
        string Dotted(string pan) => string.Join('.', pan.Chunk(4).Select(c => new string(c)));
        string Spaced(string pan) => string.Join(' ', pan.Chunk(4).Select(c => new string(c)));
        string Record(string txnId, string terminalId, string pan) =>
            $$"""{"schema_version":1,"txn_id":"{{txnId}}","bank_id":"sbi","pan":"{{pan}}","terminal_id":"{{terminalId}}","terminal_type":"atm","timestamp":"{{now}}","amount_minor":100000,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""";
        return
        [
            Record($"TX-{pans[0]}", "ATM-MB-0001", pans[1]),
            Record($"tx.{Dotted(pans[1])}", "ATM-MB-0001", pans[2]),
            Record("tx-ok-1", $"ATM {Spaced(pans[2])}", pans[3]),
            Record("tx-ok-2", "ATM-MB-0001", Dotted(pans[3])),
            Record($"kp-\\ud800-{pans[0]}", "ATM-MB-0001", pans[1]),
            $$"""{"pan":"{{pans[2]}}","broken""",
        ];
    }

    private static async Task<long> PostAsync(HttpClient http, string bank, bool isReport, List<string> lines, CapturedLog log)
    {
        using var content = new StringContent(string.Join('\n', lines), Encoding.UTF8, "application/x-ndjson");
        using var request = new HttpRequestMessage(HttpMethod.Post, isReport ? "/v1/fraud-reports" : "/v1/transactions") { Content = content };
        request.Headers.Add("X-Api-Key", "key-" + bank);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        log.Responses.Enqueue(body);
        return response.IsSuccessStatusCode ? JsonNode.Parse(body)!["accepted"]!.GetValue<long>() : 0;
    }

    /// <summary>Every message of a topic as text: key, value and headers.</summary>
    private static List<string> ReadAll(string bootstrapServers, string topic) =>
        [.. Topic.ReadAll(bootstrapServers, topic).Select(m => string.Join(' ', [m.Key ?? "", Encoding.UTF8.GetString(m.Value ?? []),
            .. m.Headers?.Select(h => Encoding.UTF8.GetString(h.GetValueBytes())) ?? []]))];

    /// <summary>Every key under the prefix and its contents, whatever their type, as text.</summary>
    private static async Task<string> RedisContentsAsync(string connectionString, string prefix)
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(connectionString + ",allowAdmin=true");
        var server = connection.GetServers()[0];
        var db = connection.GetDatabase();
        var text = new StringBuilder();
        await foreach (var key in server.KeysAsync(pattern: prefix + "*", pageSize: 1000))
        {
            text.Append((string?)key).Append(' ');
            var values = (await db.KeyTypeAsync(key)) switch
            {
                RedisType.String => [await db.StringGetAsync(key)],
                RedisType.Hash => (await db.HashGetAllAsync(key)).SelectMany(e => new[] { e.Name, e.Value }).ToArray(),
                RedisType.SortedSet => (await db.SortedSetRangeByRankAsync(key)),
                RedisType.Set => await db.SetMembersAsync(key),
                RedisType.List => await db.ListRangeAsync(key),
                _ => [],
            };
            foreach (var value in values)
                text.Append(Encoding.Latin1.GetString((byte[]?)value ?? [])).Append(' ');
        }
        return text.ToString();
    }

    /// <summary>Runs of 12 to 19 digits, single spaces, dashes or dots allowed between them, as digits only.</summary>
    private static IEnumerable<string> DigitRuns(string text) =>
        DigitRun().Matches(text).Select(m => new string(m.Value.Where(char.IsAsciiDigit).ToArray())).Where(d => d.Length is >= 12 and <= 19);

    [GeneratedRegex(@"\d(?:[ .\-]?\d){11,18}")]
    private static partial Regex DigitRun();

    /// <summary>A JSON number with a fraction or an exponent (a card number has neither).</summary>
    [GeneratedRegex(@"-?\d+\.\d+(?:[eE][-+]?\d+)?")]
    private static partial Regex Fraction();
}
