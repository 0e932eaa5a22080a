using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.TestSupport;

namespace SkimGuard.Alerts.Tests;

/// <summary>The alerts service on both databases, fed through real Kafka topics.</summary>
public sealed class AlertsApiTests(KafkaFixture kafka, PostgresFixture postgres) : IClassFixture<KafkaFixture>, IClassFixture<PostgresFixture>
{
    public static TheoryData<string> Databases => ["sqlite", "postgres"];

    private static async Task<JsonElement> JsonAsync(HttpClient client, string path) =>
        JsonDocument.Parse(await client.GetStringAsync(path)).RootElement;

    private static async Task<JsonElement> WaitForAlertsAsync(HttpClient client, int count)
    {
        JsonElement list = default;
        await Feed.WaitUntilAsync(async () => (list = await JsonAsync(client, "/api/alerts")).GetArrayLength() >= count, $"{count} alerts");
        return list;
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task AlertsFromTheTopicsAreListedStrongestFirstAndAReplayChangesNothing(string database)
    {
        var db = await AlertsHost.NewDatabaseAsync(database, postgres);
        var weak = Feed.Alert("ATM-MB-0001", k: 3);
        var strong = Feed.Alert("ATM-MB-0002", k: 9, locality: "Mira Road East");
        var strongLater = Feed.Alert("ATM-MB-0002", k: 11, hoursLater: 5, locality: "Mira Road East");
        var cards = new[] { Feed.Cards(strong, "sbi", "ct_s1", "ct_s2"), Feed.Cards(strong, "hdfc", "ct_h1"), Feed.Cards(weak, "hdfc", "ct_h9") };
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        using var admin = await host.AdminAsync();

        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [weak, strong, strongLater], cards);
        await WaitForAlertsAsync(admin, 2);
        await Feed.WaitUntilAsync(async () => (await JsonAsync(admin, $"/api/alerts/{strong.AlertId}")).GetProperty("alert").GetProperty("compromised_cards").GetDouble() == 11, "the update");
        var detailBefore = (await JsonAsync(admin, $"/api/alerts/{strong.AlertId}")).GetRawText();
        // The topics replayed from the start (a new consumer group): nothing changes.
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [weak, strong, strongLater], cards);
        await Task.Delay(1500, TestContext.Current.CancellationToken);

        var list = await JsonAsync(admin, "/api/alerts");
        Assert.Equal(["ATM-MB-0002", "ATM-MB-0001"], list.EnumerateArray().Select(a => a.GetProperty("terminal_id").GetString()));
        Assert.Equal(detailBefore, (await JsonAsync(admin, $"/api/alerts/{strong.AlertId}")).GetRawText());
        var detail = await JsonAsync(admin, $"/api/alerts/{strong.AlertId}");
        Assert.Equal(["raised", "updated"], detail.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()));
        Assert.Equal(2, detail.GetProperty("cards_at_risk_by_bank").GetProperty("sbi").GetInt32());
        Assert.Equal(2, detail.GetProperty("evidence").GetArrayLength());
        Assert.Single((await JsonAsync(admin, "/api/alerts?locality=Mira%20Road%20East")).EnumerateArray());
        Assert.Single((await JsonAsync(admin, "/api/alerts?min_score=8.5")).EnumerateArray());
    }

    [Fact]
    public async Task AMessageThatIsNotAContractGoesToTheRejectedTopicWithItsReasonAndTheFeedGoesOn()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        using var admin = await host.AdminAsync();
        var good = Feed.Alert("ATM-MB-0007");
        using (var producer = new Confluent.Kafka.ProducerBuilder<string, byte[]>(new Confluent.Kafka.ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            // One partition, so that the good alert comes after the bad messages: the feed must get past them.
            foreach (var bad in new[] { "not json", "{\"alert_id\": 7}", "{\"terminal_id\":\"kp-\\ud800\"}" })
                await producer.ProduceAsync(new Confluent.Kafka.TopicPartition(host.Topics.Alerts, 0),
                    new Confluent.Kafka.Message<string, byte[]> { Key = "x", Value = System.Text.Encoding.UTF8.GetBytes(bad) }, TestContext.Current.CancellationToken);
            await producer.ProduceAsync(new Confluent.Kafka.TopicPartition(host.Topics.Alerts, 0), new Confluent.Kafka.Message<string, byte[]>
            {
                Key = good.TerminalId, Value = JsonSerializer.SerializeToUtf8Bytes(good, SkimGuard.Contracts.Json.ContractsJsonContext.Default.AtmAlert),
            }, TestContext.Current.CancellationToken);
        }

        await WaitForAlertsAsync(admin, 1);
        List<Confluent.Kafka.Message<string, byte[]>> rejected = [];
        await Feed.WaitUntilAsync(() => Task.FromResult((rejected = Topic.ReadAll(kafka.BootstrapServers, host.Topics.Rejected)).Count >= 3), "three rejections");

        Assert.Equal(3, rejected.Count);
        Assert.All(rejected, r =>
        {
            Assert.Equal("invalid_json", System.Text.Encoding.UTF8.GetString(r.Headers.GetLastBytes(RejectedHeaders.Codes)));
            Assert.StartsWith($"{host.Topics.Alerts}/0/", System.Text.Encoding.UTF8.GetString(r.Headers.GetLastBytes(RejectedHeaders.Source)), StringComparison.Ordinal);
        });
        Assert.Equal(good.TerminalId, (await JsonAsync(admin, "/api/alerts"))[0].GetProperty("terminal_id").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task AnOfficerTakesAnAlertThroughItsLifeAndNewEvidenceReopensAFalseAlarm(string database)
    {
        var db = await AlertsHost.NewDatabaseAsync(database, postgres);
        var alert = Feed.Alert("ATM-MB-0003");
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        using var officer = await host.UserAsync("inspector.patil", "officer");
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], []);
        await WaitForAlertsAsync(officer, 1);

        async Task<HttpResponseMessage> Act(string action, object body) => await officer.PostAsJsonAsync($"/api/alerts/{alert.AlertId}/{action}", body);
        Assert.Equal(HttpStatusCode.OK, (await Act("acknowledge", new { note = "seen at 02:10" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await Act("acknowledge", new { note = "again" })).StatusCode);
        var noNote = await Act("dispatch", new { note = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, noNote.StatusCode);
        Assert.Contains("a note is required to dispatch", await noNote.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Act("dispatch", new { note = "team 3 sent" })).StatusCode);
        var noOutcome = await Act("resolve", new { note = "?" });
        Assert.Equal(HttpStatusCode.Conflict, noOutcome.StatusCode);
        Assert.Contains("outcome", await noOutcome.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await Act("resolve", new { note = "nothing on the slot", outcome = "false_alarm" })).StatusCode);
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [Feed.Alert("ATM-MB-0003", k: 8, hoursLater: 30)], []);
        await Feed.WaitUntilAsync(async () => (await JsonAsync(officer, $"/api/alerts/{alert.AlertId}")).GetProperty("alert").GetProperty("status").GetString() == "open", "the reopening");

        var history = (await JsonAsync(officer, $"/api/alerts/{alert.AlertId}")).GetProperty("history").EnumerateArray().ToList();
        Assert.Equal(["raised", "acknowledge", "dispatch", "resolve: false_alarm", "reopened"], history.Select(h => h.GetProperty("action").GetString()));
        Assert.Equal("inspector.patil", history[2].GetProperty("actor").GetString());
        Assert.Equal("team 3 sent", history[2].GetProperty("note").GetString());
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task AWithdrawalResolvesAnOpenAlertLeavesADispatchedOneToTheOfficerAndNewEvidenceReopens(string database)
    {
        var db = await AlertsHost.NewDatabaseAsync(database, postgres);
        var (shop, mall) = (Feed.Alert("ATM-MB-0005"), Feed.Alert("ATM-MB-0006"));
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        using var officer = await host.UserAsync("inspector.patil", "officer");
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [shop, mall], []);
        await WaitForAlertsAsync(officer, 2);
        Assert.Equal(HttpStatusCode.OK, (await officer.PostAsJsonAsync($"/api/alerts/{mall.AlertId}/dispatch", new { note = "team 2 sent" }, TestContext.Current.CancellationToken)).StatusCode);
        Task<JsonElement> Detail(AtmAlert a) => JsonAsync(officer, $"/api/alerts/{a.AlertId}");

        AtmAlert Withdrawn(AtmAlert a) => a with { Status = AlertStatus.Withdrawn, ExplainedBy = ["ATM-MB-0001", "ATM-MB-0002"], UpdatedAt = a.UpdatedAt.AddHours(2) };
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [Withdrawn(shop), Withdrawn(mall)], []);
        await Feed.WaitUntilAsync(async () => (await Detail(mall)).GetProperty("history").EnumerateArray().Any(h => h.GetProperty("action").GetString() == "withdrawn"), "the withdrawals");
        await Feed.WaitUntilAsync(async () => (await Detail(shop)).GetProperty("alert").GetProperty("status").GetString() == "resolved", "the shop resolved");

        var shopAlert = (await Detail(shop)).GetProperty("alert");
        Assert.Equal("withdrawn", shopAlert.GetProperty("outcome").GetString());
        var withdrawal = (await Detail(shop)).GetProperty("history").EnumerateArray().Last();
        Assert.Equal(("withdrawn", "open", "resolved"), (withdrawal.GetProperty("action").GetString(), withdrawal.GetProperty("from_status").GetString(), withdrawal.GetProperty("to_status").GetString()));
        Assert.Contains("ATM-MB-0001, ATM-MB-0002", withdrawal.GetProperty("note").GetString(), StringComparison.Ordinal);
        // A team is out at the mall: the officer decides, the withdrawal is in the history.
        Assert.Equal("dispatched", (await Detail(mall)).GetProperty("alert").GetProperty("status").GetString());

        // Evidence the others do not explain brings the shop's alert back.
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [Feed.Alert("ATM-MB-0005", k: 12, hoursLater: 40)], []);
        await Feed.WaitUntilAsync(async () => (await Detail(shop)).GetProperty("alert").GetProperty("status").GetString() == "open", "the shop reopened");
        Assert.Equal(["raised", "withdrawn", "reopened"], (await Detail(shop)).GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()));
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public async Task RolesDecideWhatEachUserSeesAndDoes(string database)
    {
        var db = await AlertsHost.NewDatabaseAsync(database, postgres);
        var shared = Feed.Alert("ATM-MB-0004", bank: "bob");
        var hdfcOnly = Feed.Alert("ATM-MB-0005", bank: "bob");
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [shared, hdfcOnly],
            [Feed.Cards(shared, "sbi", "ct_sbi_1", "ct_sbi_2"), Feed.Cards(shared, "hdfc", "ct_hdfc_1"), Feed.Cards(hdfcOnly, "hdfc", "ct_hdfc_2")]);
        using var admin = await host.AdminAsync();
        await WaitForAlertsAsync(admin, 2);
        await Feed.WaitUntilAsync(async () => (await JsonAsync(admin, "/api/cards-at-risk")).GetArrayLength() == 4, "the cards at risk");
        using var viewer = await host.UserAsync("viewer1", "viewer");
        using var sbi = await host.UserAsync("sbi.fraud", "bank", "sbi");
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/alerts", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/login", new { name = "admin", password = "wrong" }, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.PostAsJsonAsync($"/api/alerts/{shared.AlertId}/resolve", new { outcome = "duplicate" }, TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await viewer.GetAsync("/api/cards-at-risk", TestContext.Current.CancellationToken)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await sbi.PostAsJsonAsync("/api/users", new { name = "x", password = "xxxxxxxxxxxxxx", role = "admin" }, TestContext.Current.CancellationToken)).StatusCode);
        var sbiCards = await JsonAsync(sbi, "/api/cards-at-risk");
        Assert.Equal(["ct_sbi_1", "ct_sbi_2"], sbiCards.EnumerateArray().Select(c => c.GetProperty("card_token").GetString()).Order());
        Assert.Equal([shared.AlertId], (await JsonAsync(sbi, "/api/alerts")).EnumerateArray().Select(a => a.GetProperty("alert_id").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await sbi.GetAsync($"/api/alerts/{hdfcOnly.AlertId}", TestContext.Current.CancellationToken)).StatusCode);
        var sbiView = await sbi.GetStringAsync($"/api/alerts/{shared.AlertId}", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("hdfc", sbiView, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheCsvExportAndTheCaseReportCarryTheAlerts()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        var alert = Feed.Alert("ATM-MB-0006", k: 20.099999999999998, locality: "Bhayander East, \"Navghar\"");
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], [Feed.Cards(alert, "sbi", "ct_sbi_long_token_value_1")]);
        using var viewer = await host.UserAsync("viewer2", "viewer");
        await WaitForAlertsAsync(viewer, 1);

        var csv = (await viewer.GetStringAsync("/api/alerts.csv", TestContext.Current.CancellationToken)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var report = await viewer.GetStringAsync($"/api/alerts/{alert.AlertId}/report", TestContext.Current.CancellationToken);

        Assert.StartsWith("alert_id,terminal_id,terminal_type,locality", csv[0], StringComparison.Ordinal);
        Assert.Equal(2, csv.Length);
        Assert.Contains("\"Bhayander East, \"\"Navghar\"\"\"", csv[1], StringComparison.Ordinal);
        Assert.Contains(",open,", csv[1], StringComparison.Ordinal);
        // Figures as they are read, not as floating point holds them.
        Assert.Contains(",20.1,40,", csv[1], StringComparison.Ordinal);
        Assert.DoesNotContain("0999", csv[1], StringComparison.Ordinal);
        // The export follows the list's filter: "active" holds an open alert, "resolved" nothing.
        Assert.Equal(2, (await viewer.GetStringAsync("/api/alerts.csv?status=active", TestContext.Current.CancellationToken)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Single((await viewer.GetStringAsync("/api/alerts.csv?status=resolved", TestContext.Current.CancellationToken)).Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("ATM-MB-0006", report, StringComparison.Ordinal);
        Assert.Contains("compromised cards among 40", report, StringComparison.Ordinal);
        // A case-file document: the finding in words, times in IST beside UTC, blanks for the FIR and the officer.
        Assert.Contains("<b>2 of the 40 cards</b> used at this terminal between 18 Feb 2026 and 23 Feb 2026", report, StringComparison.Ordinal);
        Assert.Contains("10 Mar 2026, 11:30 IST (06:00 UTC)", report, StringComparison.Ordinal);
        Assert.Contains("FIR number and police station", report, StringComparison.Ordinal);
        Assert.Contains("Investigating officer, name and rank", report, StringComparison.Ordinal);
        Assert.DoesNotContain("ct_evidence_sbi_1", report, StringComparison.Ordinal); // tokens shortened in the report
    }

    [Fact]
    public async Task ARestartLosesNothing()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        var alert = Feed.Alert("ATM-MB-0007");
        Topics topics;
        await using (var first = await AlertsHost.StartAsync(kafka.BootstrapServers, db))
        {
            topics = first.Topics;
            await Feed.ProduceAsync(kafka.BootstrapServers, topics, [alert], []);
            using var officer = await first.UserAsync("officer9", "officer");
            await WaitForAlertsAsync(officer, 1);
            (await officer.PostAsJsonAsync($"/api/alerts/{alert.AlertId}/acknowledge", new { note = "before restart" }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        }

        await using var second = await AlertsHost.StartAsync(kafka.BootstrapServers, db, topics);
        using var again = await second.SignInAsync("officer9", "password-of-officer9");
        var detail = await JsonAsync(again, $"/api/alerts/{alert.AlertId}");

        Assert.Equal("acknowledged", detail.GetProperty("alert").GetProperty("status").GetString());
        Assert.Equal("before restart", detail.GetProperty("history")[1].GetProperty("note").GetString());
    }
}
