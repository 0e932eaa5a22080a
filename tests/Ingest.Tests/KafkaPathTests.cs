using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Kafka.Mock;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

/// <summary>Banks that produce to skimguard.incoming.v1 directly: the same validation, forwarded or rejected with reasons.</summary>
public sealed class KafkaPathTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task GoodRecordsAreForwardedAndBadOnesRejectedWithTheirReasonAndOriginalBytes()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers, o => o.KafkaPath = true);
        var broken = Records.Transaction("k4");
        broken["amount_minor"] = -1;
        var messages = new (string Record, string? Bank, string Kind)[]
        {
            (Records.Json(Records.Transaction("k1")), "sbi", "transaction"),
            (Records.Json(Records.Transaction("k2")), "sbi", "transaction"),
            (Records.Json(Records.Report("k3")), "sbi", "fraud_report"),
            (Records.Json(broken), "sbi", "transaction"),
            (Records.Json(Records.Transaction("k5")), null, "transaction"),
            (Records.Json(Records.Transaction("k6", bank: "hdfc")), "sbi", "transaction"),
            (Records.Json(Records.Transaction("k1")), "sbi", "transaction"), // a resend: dropped as a duplicate
            ("not json", "sbi", "transaction"),
        };
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            foreach (var (record, bank, kind) in messages)
            {
                var headers = new Headers { { IncomingHeaders.Record, Encoding.UTF8.GetBytes(kind) } };
                if (bank is not null)
                    headers.Add(IncomingHeaders.Bank, Encoding.UTF8.GetBytes(bank));
                await producer.ProduceAsync(ingest.Topics.Incoming, new Message<string, byte[]> { Key = "k", Value = Encoding.UTF8.GetBytes(record), Headers = headers }, TestContext.Current.CancellationToken);
            }
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        List<Message<string, byte[]>> rejected = [];
        while (DateTime.UtcNow < deadline && (rejected = Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Rejected)).Count < 4)
            await Task.Delay(250, TestContext.Current.CancellationToken);

        Assert.Equal(2, Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Transactions).Count);
        Assert.Single(Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.FraudReports));
        Assert.Equal(4, rejected.Count);
        var codes = rejected.Select(m => Encoding.UTF8.GetString(m.Headers.GetLastBytes(RejectedHeaders.Codes))).Order().ToList();
        Assert.Equal(["invalid_json", "not_allowed", "not_allowed", "out_of_range"], codes);
        Assert.Contains(rejected, m => Encoding.UTF8.GetString(m.Value) == "not json");
        Assert.All(rejected, m => Assert.StartsWith($"{ingest.Topics.Incoming}/", Encoding.UTF8.GetString(m.Headers.GetLastBytes(RejectedHeaders.Source)), StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhenForwardingFailsTheRecordsAreReadAgainAndCountedOnce()
    {
        // A cluster of this test's own: its broker refuses the first Produce requests, after the records are on the
        // incoming topic, so that Ingest's first forwards time out while later ones succeed.
        using var cluster = MockKafkaCluster.Start();
        const string incoming = "incoming";
        var ids = Enumerable.Range(0, 300).Select(i => $"f{i}").ToList();
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            foreach (var id in ids)
                producer.Produce(incoming, new Message<string, byte[]>
                {
                    Key = id, Value = Encoding.UTF8.GetBytes(Records.Json(Records.Transaction(id))),
                    Headers = new Headers { { IncomingHeaders.Bank, "sbi"u8.ToArray() }, { IncomingHeaders.Record, "transaction"u8.ToArray() } },
                });
            foreach (var bad in Enumerable.Range(0, 10))
                producer.Produce(incoming, new Message<string, byte[]>
                {
                    Key = $"bad{bad}", Value = "not json"u8.ToArray(),
                    Headers = new Headers { { IncomingHeaders.Bank, "sbi"u8.ToArray() }, { IncomingHeaders.Record, "transaction"u8.ToArray() } },
                });
            producer.Flush(TestContext.Current.CancellationToken);
        }
        cluster.FailNextProduceRequests(40, ErrorCode.NotEnoughReplicas);
        await using var ingest = await IngestHost.StartAsync(cluster.BootstrapServers, o =>
        {
            o.KafkaPath = true;
            o.IncomingTopic = incoming;
            o.DeliveryTimeoutMs = 1500;
        });

        var deadline = DateTime.UtcNow.AddSeconds(90);
        JsonElement status;
        do
        {
            await Task.Delay(250, TestContext.Current.CancellationToken);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/feed-status");
            request.Headers.Add("X-Api-Key", IngestHost.SbiKey);
            status = JsonDocument.Parse(await (await ingest.Http.SendAsync(request, TestContext.Current.CancellationToken)).Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        }
        while (status.GetProperty("accepted").GetInt32() + status.GetProperty("duplicates").GetInt32() + status.GetProperty("rejected").GetInt32() < 310 && DateTime.UtcNow < deadline);

        Assert.Contains(ingest.Log.Lines, line => line.Contains("Batch failed", StringComparison.Ordinal));
        Assert.Equal((300, 0, 10), (status.GetProperty("accepted").GetInt32(), status.GetProperty("duplicates").GetInt32(), status.GetProperty("rejected").GetInt32()));
        var forwarded = Topic.ReadAll(cluster.BootstrapServers, ingest.Topics.Transactions)
            .Select(m => JsonDocument.Parse(m.Value).RootElement.GetProperty("txn_id").GetString()).ToHashSet();
        Assert.Equal(ids.Order(), forwarded.Order()); // each at least once: a forward that reached Kafka before the failure is sent again
        Assert.Equal(10, Topic.ReadAll(cluster.BootstrapServers, ingest.Topics.Rejected).Select(m => m.Key).Distinct().Count());
    }
}
