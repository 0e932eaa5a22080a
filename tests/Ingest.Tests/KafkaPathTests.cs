using System.Text;
using Confluent.Kafka;
using SkimGuard.Contracts;
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
}
