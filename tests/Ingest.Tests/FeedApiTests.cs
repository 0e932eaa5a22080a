using System.Text;
using System.Text.Json;
using SkimGuard.Contracts.Cards;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

public sealed class FeedApiTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static int Count(JsonElement body, string name) => body.GetProperty(name).GetInt32();

    private static void AddsUp(JsonElement body) =>
        Assert.Equal(Count(body, "received"), Count(body, "accepted") + Count(body, "duplicates") + Count(body, "rejected"));

    [Fact]
    public async Task ValidRecordsInEveryFormatAreAcceptedAndReachKafkaTokenised()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var lines = Records.Lines([Records.Transaction("t1"), Records.Transaction("t2")]);
        var array = $"[{Records.Json(Records.Transaction("t3"))},\n{Records.Json(Records.Transaction("t4"))}]";
        var withPan = Records.Transaction("t6");
        withPan.Remove("card_token");
        withPan["pan"] = "4111 1111 1111 1111";
        const string csv = "schema_version,txn_id,card_token,terminal_id,terminal_type,timestamp,amount_minor,currency,entry_mode,txn_type,approved,country\r\n";

        var ndjson = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, lines);
        var json = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, array, "application/json");
        var gzip = await ingest.PostAsync("/v1/transactions", IngestHost.SbiRotatedKey, Records.Json(Records.Transaction("t5")), gzip: true);
        var pan = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Records.Json(withPan));
        var fromCsv = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey,
            csv + $"1,t7,ct_{new string('C', 43)},\"ATM, Bhayander West\",atm,{Records.Now:yyyy-MM-ddTHH:mm:ssZ},100000,INR,chip,withdrawal,true,IN\r\n", "text/csv; charset=utf-8");
        var report = await ingest.PostAsync("/v1/fraud-reports", IngestHost.SbiKey, Records.Json(Records.Report("r1")));

        foreach (var (response, accepted) in new[] { (ndjson, 2), (json, 2), (gzip, 1), (pan, 1), (fromCsv, 1), (report, 1) })
        {
            Assert.Equal(200, response.Status);
            Assert.Equal(accepted, Count(response.Body, "accepted"));
            AddsUp(response.Body);
        }
        var produced = Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Transactions);
        Assert.Equal(7, produced.Count);
        var tokenised = produced.Select(m => JsonDocument.Parse(m.Value).RootElement).Single(e => e.GetProperty("txn_id").GetString() == "t6");
        Assert.StartsWith(CardTokenizer.Prefix, tokenised.GetProperty("card_token").GetString(), StringComparison.Ordinal);
        Assert.Equal("1111", tokenised.GetProperty("card_last4").GetString());
        Assert.All(produced, m => Assert.Equal(JsonDocument.Parse(m.Value).RootElement.GetProperty("card_token").GetString(), m.Key));
        Assert.Single(Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.FraudReports));
    }

    [Theory]
    [InlineData(null, "no API key")]
    [InlineData("not-a-key", "unknown API key")]
    [InlineData(IngestHost.SbiRevokedKey, "revoked")]
    public async Task WithoutAValidKeyTheAnswerIs401AndSaysWhy(string? key, string reason)
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);

        var (status, body, _) = await ingest.PostAsync("/v1/transactions", key, Records.Json(Records.Transaction("t1")));

        Assert.Equal(401, status);
        Assert.Contains(reason, body.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Empty(Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Transactions));
    }

    [Fact]
    public async Task ARecordNamingAnotherBankIsRejectedAndTheBankIsTakenFromTheKey()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var noBank = Records.Transaction("t2");
        noBank.Remove("bank_id");

        var (status, body, _) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Records.Lines([Records.Transaction("t1", bank: "hdfc"), noBank]));

        Assert.Equal(200, status);
        Assert.Equal((1, 1), (Count(body, "accepted"), Count(body, "rejected")));
        var error = body.GetProperty("errors")[0];
        Assert.Equal(("bank_id", 1, "t1"), (error.GetProperty("field").GetString(), error.GetProperty("line").GetInt32(), error.GetProperty("id").GetString()));
        var produced = JsonDocument.Parse(Assert.Single(Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Transactions)).Value).RootElement;
        Assert.Equal("sbi", produced.GetProperty("bank_id").GetString());
    }

    public static TheoryData<string, string, object?, string> BrokenFields => new()
    {
        { "txn_id", "remove", null, "missing" },
        { "amount_minor", "set", -5, "out_of_range" },
        { "amount_minor", "set", "12", "wrong_type" },
        { "currency", "set", "RUPEES", "unknown_value" },
        { "txn_id", "set", "4111111111111111", "not_allowed" },
        { "timestamp", "set", "2031-01-01T00:00:00Z", "out_of_range" },
        { "timestamp", "set", "2026-01-01T10:00:00", "bad_format" },
        { "terminal_type", "set", "kiosk", "unknown_value" },
        { "lat", "set", 95.0, "out_of_range" },
        { "lon", "remove", null, "missing" },
        { "txn_id", "set", "a\u0001b", "control_characters" },
        { "txn_id", "set", new string('x', 200), "too_long" },
        { "schema_version", "set", 2, "unsupported_version" },
        { "card_token", "set", "4111111111111111", "not_allowed" },
    };

    [Theory]
    [MemberData(nameof(BrokenFields))]
    public async Task EachRuleRejectsTheRecordNamingTheFieldWithoutEchoingTheValue(string field, string change, object? value, string code)
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var record = Records.Transaction("t1");
        if (change == "remove")
            record.Remove(field);
        else
            record[field] = value;

        var (status, body, _) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Records.Json(record));

        Assert.Equal(200, status);
        Assert.Equal(1, Count(body, "rejected"));
        var errors = body.GetProperty("errors").EnumerateArray().ToList();
        Assert.Contains(errors, e => e.GetProperty("field").GetString() == field && e.GetProperty("code").GetString() == code);
        if (value is string text && text.Length > 3)
            Assert.DoesNotContain(text, body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSameRecordsSentTwiceAreCountedOnceAndTheRepeatAsDuplicates()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var batch = Records.Lines([Records.Transaction("t1"), Records.Transaction("t2"), Records.Transaction("t2")]);

        var first = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, batch);
        var second = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, batch);
        var otherBank = await ingest.PostAsync("/v1/transactions", IngestHost.HdfcKey, Records.Json(Records.Transaction("t1", bank: "hdfc")));

        Assert.Equal((2, 1), (Count(first.Body, "accepted"), Count(first.Body, "duplicates")));
        Assert.Equal((0, 3), (Count(second.Body, "accepted"), Count(second.Body, "duplicates")));
        Assert.Equal(1, Count(otherBank.Body, "accepted")); // ids are unique per bank, not across banks
        Assert.Equal(3, Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Transactions).Count);
    }

    public static TheoryData<string, string, byte[]> BadBodies => new()
    {
        { "random bytes as JSON lines", "application/x-ndjson", RandomBytes(4096, 1) },
        { "random bytes as JSON", "application/json", RandomBytes(4096, 2) },
        { "random bytes as CSV", "text/csv", RandomBytes(4096, 3) },
        { "truncated JSON", "application/x-ndjson", Encoding.UTF8.GetBytes(Records.Json(Records.Transaction("t1"))[..50]) },
        { "truncated array", "application/json", Encoding.UTF8.GetBytes("[" + Records.Json(Records.Transaction("t1")) + ",{\"txn_id\":") },
        { "deeply nested", "application/x-ndjson", Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)) },
        { "deeply nested array", "application/json", Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)) },
        { "invalid UTF-8", "application/x-ndjson", [0x7b, 0x22, 0x74, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d] },
        { "huge numbers", "application/x-ndjson", Encoding.UTF8.GetBytes(Records.Json(Records.Transaction("t1")).Replace("250000", "1" + new string('0', 400), StringComparison.Ordinal)) },
        { "CSV with an open quote", "text/csv", Encoding.UTF8.GetBytes("txn_id,card_token\n\"t1,ct_x\n") },
        { "CSV missing columns", "text/csv", Encoding.UTF8.GetBytes("txn_id,card_token,terminal_id\nt1,ct_x\n") },
        { "CSV with a newline in a quoted cell", "text/csv", Encoding.UTF8.GetBytes("txn_id,terminal_id\n\"t\n1\",\"ATM \"\"A\"\"\"\n") },
        { "a JSON string, not an object", "application/x-ndjson", "\"hello\""u8.ToArray() },
        // Found by bench/fuzz.sh csv: numbers .NET reads and JSON does not (docs/fuzzing.md).
        { "CSV numbers JSON does not allow", "text/csv", Encoding.UTF8.GetBytes("txn_id,amount_minor\nf1,.3626\nf2,03\nf3,+1\nf4,1.e5\nf5,1e\nf6,00\n") },
        { "JSON null", "application/json", "null"u8.ToArray() },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInputNeverGivesA500AndEveryRecordIsCounted(string name, string contentType, byte[] body)
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);

        var (status, json, _) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, body, contentType);

        Assert.True(status is 200 or 400, $"{name}: {status}");
        if (status == 200)
        {
            AddsUp(json);
            Assert.True(Count(json, "rejected") >= 1, name);
        }
    }

    [Fact]
    public async Task AnEmptyBodyIsRefusedWithAMessage()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);

        var (status, body, _) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, []);

        Assert.Equal(400, status);
        Assert.Contains("no records", body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task LimitsAnswer413And415And429WithRetryAfter()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers, o =>
        {
            o.MaxBodyBytes = 4096;
            o.MaxUnpackedBytes = 8192;
            o.MaxRecordsPerRequest = 3;
            o.RequestsPerSecondPerBank = 2;
        });
        var tooMany = Records.Lines(Enumerable.Range(0, 4).Select(i => Records.Transaction($"t{i}")));

        Assert.Equal(413, (await ingest.PostAsync("/v1/transactions", IngestHost.HdfcKey, new string(' ', 5000) + "{}")).Status);
        Assert.Equal(413, (await ingest.PostAsync("/v1/transactions", IngestHost.HdfcKey, new string(' ', 9000) + "{}", gzip: true)).Status);
        Assert.Equal(413, (await ingest.PostAsync("/v1/transactions", IngestHost.HdfcKey, tooMany)).Status);
        Assert.Equal(415, (await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, "{}", "application/xml")).Status);
        var answers = new List<(int Status, HttpResponseMessage Response)>();
        for (var i = 0; i < 8; i++)
        {
            var (status, _, response) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Records.Json(Records.Transaction($"r{i}")));
            answers.Add((status, response));
        }
        var limited = Assert.Single(answers.Where(a => a.Status == 429).Take(1));
        Assert.NotNull(limited.Response.Headers.RetryAfter);
    }

    [Fact]
    public async Task FeedStatusShowsTheCallingBanksOwnCountersOnly()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var broken = Records.Transaction("t3");
        broken["currency"] = "XX";
        await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Records.Lines([Records.Transaction("t1"), Records.Transaction("t2"), broken]));
        await ingest.PostAsync("/v1/transactions", IngestHost.HdfcKey, Records.Json(Records.Transaction("h1", bank: "hdfc")));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/feed-status");
        request.Headers.Add("X-Api-Key", IngestHost.SbiKey);
        var text = await (await ingest.Http.SendAsync(request)).Content.ReadAsStringAsync();
        var status = JsonDocument.Parse(text).RootElement;

        Assert.Equal(("sbi", 2, 1), (status.GetProperty("bank_id").GetString(), status.GetProperty("accepted").GetInt32(), status.GetProperty("rejected").GetInt32()));
        Assert.Equal(1, status.GetProperty("rejected_by_reason").GetProperty("unknown_value").GetInt32());
        Assert.DoesNotContain("hdfc", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchemasAndTheOpenApiDocumentAreServed()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);

        var schema = JsonDocument.Parse(await ingest.Http.GetStringAsync("/v1/schemas/transaction.v1")).RootElement;
        var openApi = await ingest.Http.GetStringAsync("/openapi/v1.json");

        Assert.True(schema.TryGetProperty("properties", out _));
        Assert.Contains("/v1/transactions", openApi, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await ingest.Http.GetAsync("/v1/schemas/nothing")).StatusCode);
    }

    [Fact]
    public async Task WhenKafkaIsDownTheRequestFailsWith503AndNothingIsCounted()
    {
        // A closed port: no broker there.
        await using var ingest = await IngestHost.StartAsync($"127.0.0.1:{FreePort.Next()}", o => o.DeliveryTimeoutMs = 1500);
        var batch = Records.Lines([Records.Transaction("t1"), Records.Transaction("t2")]);

        var (status, body, response) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, batch);
        var again = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, batch);

        Assert.Equal(503, status);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Contains("send it again", body.GetProperty("error").GetString(), StringComparison.Ordinal);
        // The retry is not taken for a duplicate of the failed attempt: it fails the same way, for the same reason.
        Assert.Equal(503, again.Status);
    }

    [Fact]
    public async Task WhenKafkaIsDownAndComesBackTheRetryIsAcceptedExactlyOnce()
    {
        // A cluster of this test's own: its broker goes down and comes back at the same address.
        using var cluster = SkimGuard.Kafka.Mock.MockKafkaCluster.Start();
        await using var ingest = await IngestHost.StartAsync(cluster.BootstrapServers, o => o.DeliveryTimeoutMs = 2000);
        Assert.Equal(200, (await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Records.Json(Records.Transaction("warm")))).Status);
        var batch = Records.Lines([Records.Transaction("t1"), Records.Transaction("t2"), Records.Transaction("t3")]);

        cluster.SetBrokerUp(false);
        var (status, _, response) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, batch);
        cluster.SetBrokerUp(true);
        var retry = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, batch);
        var again = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, batch);

        Assert.Equal(503, status);
        Assert.NotNull(response.Headers.RetryAfter);
        Assert.Equal(200, retry.Status);
        Assert.Equal((3, 0), (Count(retry.Body, "accepted"), Count(retry.Body, "duplicates")));
        Assert.Equal((0, 3), (Count(again.Body, "accepted"), Count(again.Body, "duplicates")));
        var produced = Topic.ReadAll(cluster.BootstrapServers, ingest.Topics.Transactions)
            .Select(m => JsonDocument.Parse(m.Value).RootElement.GetProperty("txn_id").GetString()).Where(id => id != "warm").ToList();
        // The failed attempt wrote nothing that reached Kafka; had it, the detector would apply each id once anyway.
        Assert.Equal(["t1", "t2", "t3"], produced.Order());
    }

    private static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
