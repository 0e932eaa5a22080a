using System.Text;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.TestSupport;

namespace SkimGuard.Detector.Tests;

/// <summary>Bad messages of every kind go to the rejected topic with their reasons, and the detector goes on.</summary>
public sealed class PoisonMessageTests(KafkaFixture kafka, RedisFixture redis) : IClassFixture<KafkaFixture>, IClassFixture<RedisFixture>
{
    private const string Pan = "4111111111111111";

    [Fact]
    public async Task EveryKindOfPoisonIsRejectedWithItsReasonAndReceivedEqualsProcessedPlusRejected()
    {
        var topics = TopicSet.New();
        var good = Feeds.SimulatedTown.Transactions.Take(200).ToList();
        var goodJson = good.Select(t => System.Text.Json.JsonSerializer.Serialize(t, Contracts.Json.ContractsJsonContext.Default.Transaction)).ToList();
        var sample = goodJson[0];
        var poison = new (string Name, string Topic, byte[] Value, string Code)[]
        {
            ("not JSON", topics.Transactions, "hello, detector"u8.ToArray(), "invalid_json"),
            ("truncated JSON", topics.Transactions, Encoding.UTF8.GetBytes(sample[..40]), "invalid_json"),
            ("empty", topics.Transactions, [], "invalid_json"),
            ("wrong schema version", topics.Transactions, Encoding.UTF8.GetBytes(sample.Replace("\"schema_version\":1", "\"schema_version\":7", StringComparison.Ordinal)), "unsupported_version"),
            ("negative amount", topics.Transactions, Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Replace(sample, "\"amount_minor\":\\d+", "\"amount_minor\":-5")), "out_of_range"),
            ("a PAN where a token belongs", topics.Transactions, Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Replace(sample, "\"card_token\":\"[^\"]+\"", $"\"card_token\":\"{Pan}\"")), "not_allowed"),
            ("huge", topics.Transactions, Encoding.UTF8.GetBytes(sample.Replace("\"txn_id\":\"", "\"txn_id\":\"" + new string('x', 300_000), StringComparison.Ordinal)), "too_large"),
            ("invalid UTF-8", topics.FraudReports, [0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d], "invalid_json"),
            ("a report missing its fields", topics.FraudReports, "{\"schema_version\":1}"u8.ToArray(), "missing"),
            ("a lone surrogate in an id", topics.Transactions, Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Replace(sample, "\"txn_id\":\"[^\"]+\"", "\"txn_id\":\"kp-\\ud800\"")), "bad_format"),
            ("a lone surrogate in a field name", topics.Transactions, Encoding.UTF8.GetBytes(sample.Replace("\"txn_id\"", "\"txn_\\udc00\":1,\"txn_id\"", StringComparison.Ordinal)), "bad_format"),
            ("a lone surrogate in a report's list", topics.FraudReports, Encoding.UTF8.GetBytes(
                "{\"schema_version\":1,\"report_id\":\"r\",\"bank_id\":\"sbi\",\"card_token\":\"ct_x\",\"reported_at\":\"2026-01-02T00:00:00Z\",\"fraud_type\":\"counterfeit\",\"fraud_txn_ids\":[\"\\ud800\"]}"), "bad_format"),
            ("a PAN with dots inside a terminal id", topics.Transactions, Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Replace(sample, "\"terminal_id\":\"[^\"]+\"", "\"terminal_id\":\"ATM 4111.1111.1111.1111\"")), "not_allowed"),
            ("a field sent twice", topics.Transactions, Encoding.UTF8.GetBytes(sample.Replace("\"txn_id\"", "\"amount_minor\":1,\"txn_id\"", StringComparison.Ordinal)), "duplicate_field"),
        };
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers, EnableIdempotence = true, Acks = Acks.All, MessageMaxBytes = 2_000_000 }).Build())
        {
            // The poison sits between good messages: each must be stepped over.
            for (var i = 0; i < good.Count; i++)
            {
                if (i % 10 == 0 && i / 10 < poison.Length)
                    await producer.ProduceAsync(poison[i / 10].Topic, new Message<string, byte[]> { Key = "k", Value = poison[i / 10].Value }, TestContext.Current.CancellationToken);
                await producer.ProduceAsync(topics.Transactions, new Message<string, byte[]> { Key = good[i].CardToken, Value = Encoding.UTF8.GetBytes(goodJson[i]) }, TestContext.Current.CancellationToken);
            }
        }

        await using (var detector = await InProcessDetector.StartAsync(o => topics.Configure(o, kafka.BootstrapServers, redis.Server.ConnectionString)))
        {
            var received = good.Count + poison.Length;
            await Wait.UntilAsync(() => detector.Consumed == received && detector.CaughtUp, TimeSpan.FromSeconds(60), "every message read", () => detector.ToString());
            Assert.Equal(good.Count, detector.Handled);
            Assert.Equal(poison.Length, detector.Rejected);
            Assert.Equal(detector.Consumed, detector.Handled + detector.Rejected);
        }

        var rejected = Messages.ReadAllWithHeaders(kafka.BootstrapServers, [topics.Rejected]);
        Assert.Equal(poison.Length, rejected.Count);
        var byCodes = rejected.Select(r => Header(r, RejectedHeaders.Codes)).ToList();
        foreach (var p in poison)
            Assert.Contains(byCodes, codes => codes.Split(',').Contains(p.Code));
        Assert.All(rejected, r =>
        {
            Assert.False(string.IsNullOrWhiteSpace(Header(r, RejectedHeaders.Reason)));
            Assert.Matches(@"^t[0-9a-f]+\.(transactions|fraud-reports)/\d/\d+$", Header(r, RejectedHeaders.Source));
            Assert.Empty(Contracts.Cards.PanScanner.FindPans(Encoding.UTF8.GetString(r.Message.Value)));
        });
        var huge = Assert.Single(rejected, r => r.Message.Headers.TryGetLastBytes(RejectedHeaders.TruncatedFrom, out _));
        Assert.True(huge.Message.Value.Length <= 64 * 1024);
        // The original bytes are kept as they came (apart from a masked PAN): a bank can see exactly what it sent.
        Assert.Contains(rejected, r => r.Message.Value.AsSpan().SequenceEqual("hello, detector"u8));
    }

    private static string Header(ConsumeResult<string, byte[]> message, string name) =>
        message.Message.Headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : "";
}
