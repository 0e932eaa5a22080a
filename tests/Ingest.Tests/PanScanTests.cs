using System.Text;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

/// <summary>Card numbers sent every which way: none reaches a produced message, a log line or a response.</summary>
public sealed class PanScanTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static readonly string[] Pans = ["4111111111111111", "5500005555555559", "340000000000009", "6011000990139424"];

    [Fact]
    public async Task NoCardNumberAppearsInAnyMessageLogLineOrResponse()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers, o => o.KafkaPath = true);
        var records = new List<string>();
        for (var i = 0; i < Pans.Length; i++)
        {
            var good = Records.Transaction($"pan-{i}");
            good.Remove("card_token");
            good["pan"] = Pans[i];
            records.Add(Records.Json(good));
            var badAmount = Records.Transaction($"pan-bad-{i}");
            badAmount.Remove("card_token");
            badAmount["pan"] = Pans[i];
            badAmount["amount_minor"] = -1;
            records.Add(Records.Json(badAmount));
            var asToken = Records.Transaction($"pan-token-{i}");
            asToken["card_token"] = Pans[i];
            records.Add(Records.Json(asToken));
            var asId = Records.Transaction(Pans[i]);
            records.Add(Records.Json(asId));
        }
        records.Add("{\"pan\":\"4111111111111111\",\"broken");
        await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, string.Join('\n', records));
        await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, "pan,txn_id,amount_minor\n4111111111111111,csv-1,abc\n", "text/csv");
        await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, $"[{records[0]},{records[1]}]", "application/json");
        // And the same records on the Kafka path, one without a bank header.
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = kafka.BootstrapServers }).Build())
        {
            foreach (var (record, i) in records.Select((r, i) => (r, i)))
            {
                var headers = new Headers { { IncomingHeaders.Record, "transaction"u8.ToArray() } };
                if (i % 5 != 0)
                    headers.Add(IncomingHeaders.Bank, "sbi"u8.ToArray());
                await producer.ProduceAsync(ingest.Topics.Incoming, new Message<string, byte[]> { Key = Pans[i % Pans.Length], Value = Encoding.UTF8.GetBytes(record.Replace("pan-", "k-", StringComparison.Ordinal)), Headers = headers });
            }
        }
        await WaitForAsync(() => Topic.ReadAll(kafka.BootstrapServers, ingest.Topics.Rejected).Count >= records.Count / 2);

        var produced = new[] { ingest.Topics.Transactions, ingest.Topics.Rejected }
            .SelectMany(t => Topic.ReadAll(kafka.BootstrapServers, t))
            .Select(m => $"{m.Key} {Encoding.UTF8.GetString(m.Value)} {string.Join(' ', m.Headers?.Select(h => Encoding.UTF8.GetString(h.GetValueBytes())) ?? [])}")
            .ToList();
        Assert.NotEmpty(produced);
        Assert.Contains(produced, m => m.Contains("\"txn_id\":\"pan-0\"", StringComparison.Ordinal)); // the good ones went through, tokenised
        foreach (var text in produced.Concat(ingest.Log.Lines).Concat(ingest.Log.Responses))
            Assert.Empty(PanScanner.FindPans(text));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition() && DateTime.UtcNow < deadline)
            await Task.Delay(250);
    }
}
