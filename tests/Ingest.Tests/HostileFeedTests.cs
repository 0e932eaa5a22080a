using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

/// <summary>
/// What a broken feed or an attacker sends, through the real paths: no record stops the service or fails a request,
/// every record is counted, and no card number passes, whatever way it is written.
/// </summary>
public sealed class HostileFeedTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static int Count(JsonElement body, string name) => body.GetProperty(name).GetInt32();

    /// <summary>A transaction as JSON text with one id replaced by raw text (escapes kept as written).</summary>
    private static string WithRawId(string id, string field = "txn_id")
    {
        var json = Records.Json(Records.Transaction("placeholder"));
        return field == "txn_id"
            ? json.Replace("\"placeholder\"", $"\"{id}\"", StringComparison.Ordinal)
            : json.Replace("\"ATM-MB-0001\"", $"\"{id}\"", StringComparison.Ordinal);
    }

    private static byte[] WithInvalidUtf8Id()
    {
        var bytes = Encoding.UTF8.GetBytes(WithRawId("bad-XX"));
        var at = Encoding.UTF8.GetString(bytes).IndexOf("bad-XX", StringComparison.Ordinal) + 4;
        (bytes[at], bytes[at + 1]) = (0xC3, 0x28); // a two-byte sequence whose second byte is not a continuation
        return bytes;
    }

    [Fact]
    public async Task HostileRecordsOverHttpAreRejectedOneByOneAndTheRestAccepted()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var body = new List<byte[]>
        {
            Encoding.UTF8.GetBytes(Records.Json(Records.Transaction("good-1"))),
            Encoding.UTF8.GetBytes(WithRawId("kp-\\ud800")),
            WithInvalidUtf8Id(),
            Encoding.UTF8.GetBytes(WithRawId("TX-4111111111111111")),
            Encoding.UTF8.GetBytes(WithRawId("4111.1111.1111.1111")),
            Encoding.UTF8.GetBytes(WithRawId("ATM 5555555555554444", field: "terminal_id")),
            Encoding.UTF8.GetBytes(WithRawId("\\u0034111-1111-1111-1111")),
            Encoding.UTF8.GetBytes(Records.Json(Records.Transaction("good-2"))),
        };

        var (status, answer, _) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, [.. body.SelectMany(b => b.Append((byte)'\n'))]);

        Assert.Equal(200, status);
        Assert.Equal((8, 2, 6), (Count(answer, "received"), Count(answer, "accepted"), Count(answer, "rejected")));
        var errors = answer.GetProperty("errors").EnumerateArray().ToList();
        Assert.Equal([2, 3, 4, 5, 6, 7], errors.Select(e => e.GetProperty("line").GetInt32()));
        Assert.Equal(["bad_format", "invalid_json", "not_allowed", "not_allowed", "not_allowed", "not_allowed"], errors.Select(e => e.GetProperty("code").GetString()));
        // No id holding a card number (or that is not text) is echoed; the record with a PAN in its terminal_id has a clean id.
        Assert.Equal([null, null, null, null, "placeholder", null], errors.Select(e => e.GetProperty("id").GetString()));
        var forwarded = Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Transactions)
            .Select(m => JsonDocument.Parse(m.Value).RootElement.GetProperty("txn_id").GetString()).Order();
        Assert.Equal(["good-1", "good-2"], forwarded);
        Assert.All(ingest.Log.Responses.Concat(ingest.Log.Lines), text => Assert.Empty(PanScanner.FindPans(text)));
    }

    [Fact]
    public async Task ErrorsInAJsonArrayNameTheElementAndUnknownFieldsComeBackAsWarnings()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var bad = Records.Transaction("a2");
        bad["amount_minor"] = -5;
        var extra = Records.Transaction("a3");
        extra["merchant_note"] = "sent by mistake";
        var array = $"[{Records.Json(Records.Transaction("a1"))},{Records.Json(bad)},{Records.Json(extra)}]"; // one line

        var (status, answer, _) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, array, "application/json");

        Assert.Equal(200, status);
        Assert.Equal((2, 1), (Count(answer, "accepted"), Count(answer, "rejected")));
        var error = Assert.Single(answer.GetProperty("errors").EnumerateArray());
        Assert.Equal((1, 1, "amount_minor"), (error.GetProperty("line").GetInt32(), error.GetProperty("element").GetInt32(), error.GetProperty("field").GetString()));
        var warning = Assert.Single(answer.GetProperty("warnings").EnumerateArray());
        Assert.Equal((2, "a3", "merchant_note", "unknown_field"),
            (warning.GetProperty("element").GetInt32(), warning.GetProperty("id").GetString(), warning.GetProperty("field").GetString(), warning.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task AByteOrderMarkBeforeABodyIsSteppedOverInEveryFormat()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        byte[] Bom(string text) => [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(text)];

        var lines = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Bom(Records.Lines([Records.Transaction("b1"), Records.Transaction("b2")])));
        var array = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, Bom($"[{Records.Json(Records.Transaction("b3"))}]"), "application/json");

        Assert.Equal((200, 2, 0), (lines.Status, Count(lines.Body, "accepted"), Count(lines.Body, "rejected")));
        Assert.Equal((200, 1, 0), (array.Status, Count(array.Body, "accepted"), Count(array.Body, "rejected")));
    }

    [Fact]
    public async Task ACutOffGzipBodyIsRefusedWholeAndNothingForwarded()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);
        var records = Records.Lines(Enumerable.Range(0, 2000).Select(i => Records.Transaction($"z{i}")));
        using var packed = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(packed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            gzip.Write(Encoding.UTF8.GetBytes(records));
        var cut = packed.ToArray()[..(int)(packed.Length / 2)];

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/transactions") { Content = new ByteArrayContent(cut) };
        request.Headers.Add("X-Api-Key", IngestHost.SbiKey);
        request.Content.Headers.ContentType = new("application/x-ndjson");
        request.Content.Headers.ContentEncoding.Add("gzip");
        var response = await ingest.Http.SendAsync(request, TestContext.Current.CancellationToken);

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Contains("cut off", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Transactions));
    }

    [Fact]
    public async Task AHostileMessageOnTheKafkaPathIsRejectedAndTheServiceGoesOnAfterARestart()
    {
        var topics = new TopicNames($"i{Guid.NewGuid():N}");
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build();
        async Task SendAsync(string key, byte[] value) => await producer.ProduceAsync(topics.Incoming, new Message<string, byte[]>
        {
            Key = key, Value = value,
            Headers = new Headers { { IncomingHeaders.Bank, "sbi"u8.ToArray() }, { IncomingHeaders.Record, "transaction"u8.ToArray() } },
        }, TestContext.Current.CancellationToken);
        // All on one key, so one partition and in this order: the good record is read only after the hostile ones.
        await SendAsync("k", Encoding.UTF8.GetBytes(WithRawId("kp-\\ud800")));
        await SendAsync("k", WithInvalidUtf8Id());
        await SendAsync("k", Encoding.UTF8.GetBytes(WithRawId("TX 4111-1111-1111-1111")));
        // The Kafka path is an edge too, where a pan is tokenised; this one is refused for its amount, so its copy must be masked.
        await SendAsync("k", Encoding.UTF8.GetBytes(Records.Json(Records.Transaction("k-bad-pan")).Replace("\"card_token\"", "\"amount_minor\":-1,\"pan\":\"5500 0055 5555 5559\",\"x\"", StringComparison.Ordinal)
            .Replace("\"amount_minor\":250000,", "", StringComparison.Ordinal)));
        await SendAsync("k", Encoding.UTF8.GetBytes(Records.Json(Records.Transaction("k-good-2"))));

        await using (var ingest = await IngestHost.StartAsync(kafka.BootstrapServers, o => o.KafkaPath = true, topics))
        {
            await WaitForAsync(() => Topic.ReadAll(kafka.BootstrapServers, topics.Transactions).Count == 1);
        }
        // Restarted on the same group: it reads on from the stored offsets and takes the next record.
        await using (var again = await IngestHost.StartAsync(kafka.BootstrapServers, o => o.KafkaPath = true, topics))
        {
            await SendAsync("k", Encoding.UTF8.GetBytes(Records.Json(Records.Transaction("k-good-3"))));
            await WaitForAsync(() => Topic.ReadAll(kafka.BootstrapServers, topics.Transactions).Count == 2);
            Assert.All(again.Log.Lines, line => Assert.Empty(PanScanner.FindPans(line)));
        }

        var forwarded = Topic.ReadAll(kafka.BootstrapServers, topics.Transactions).Select(m => JsonDocument.Parse(m.Value).RootElement.GetProperty("txn_id").GetString());
        Assert.Equal(["k-good-2", "k-good-3"], forwarded);
        var rejected = Topic.ReadAll(kafka.BootstrapServers, topics.Rejected);
        Assert.Equal(4, rejected.Count);
        Assert.Equal(["bad_format", "invalid_json", "not_allowed", "out_of_range"],
            rejected.Select(m => Encoding.UTF8.GetString(m.Headers.GetLastBytes(RejectedHeaders.Codes))).Order());
        // The rejected copies keep their bytes, with every card number masked in whatever way it was written.
        Assert.All(rejected, m => Assert.Empty(PanScanner.FindPans(Encoding.UTF8.GetString(m.Value))));
        Assert.Contains(rejected, m => Encoding.UTF8.GetString(m.Value).Contains("\"TX ****-****-****-****\"", StringComparison.Ordinal));
        Assert.Contains(rejected, m => Encoding.UTF8.GetString(m.Value).Contains("\"pan\":\"**** **** **** ****\"", StringComparison.Ordinal));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(250);
        Assert.True(condition(), "the condition was not met within 60 s");
    }
}
