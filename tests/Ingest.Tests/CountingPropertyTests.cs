using System.Text.Json;
using CsCheck;
using SkimGuard.Contracts.Cards;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

/// <summary>Generated batches mixing good, broken and repeated records: every record is counted exactly once.</summary>
public sealed class CountingPropertyTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    private static readonly string[] Breakages = ["none", "none", "none", "amount", "currency", "missing", "garbage", "repeat", "blank", "hostile", "unknown"];

    // Ids as an attacker writes them (JSON string text): escapes that are not text, card numbers in several writings.
    private static readonly string[] HostileIds = ["kp-\\ud800", "\\udc00x", "TX-4111111111111111", "4111.1111.1111.1111", "\\u0034111 1111 1111 1111", "ok-\\ud83d\\ude00"];

    [Fact]
    public async Task AcceptedPlusDuplicatesPlusRejectedEqualsTheRecordsSent()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers, o => o.RequestsPerSecondPerBank = 10_000);
        var batches = Gen.Select(Gen.Int[1, 40], Gen.Int[0, 1_000_000]).Select((count, seed) => (count, seed));
        var sent = 0;

        await batches.SampleAsync(async batch =>
        {
            var (lines, records) = Build(batch.count, batch.seed, ref sent);
            var (status, body, _) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, string.Join('\n', lines));
            if (records == 0)
                return status == 400;
            return status == 200
                && PanScanner.FindPans(body.GetRawText()).Count == 0
                && body.GetProperty("received").GetInt32() == records
                && body.GetProperty("accepted").GetInt32() + body.GetProperty("duplicates").GetInt32() + body.GetProperty("rejected").GetInt32() == records;
        }, iter: 60, threads: 1);
    }

    /// <summary>Lines of one batch; blank lines are not records.</summary>
    private static (List<string> Lines, int Records) Build(int count, int seed, ref int sent)
    {
        var random = new Random(seed);
        var lines = new List<string>();
        var records = 0;
        string? last = null;
        for (var i = 0; i < count; i++)
        {
            var record = Records.Transaction($"p{seed}-{i}");
            var breakage = Breakages[random.Next(Breakages.Length)];
            switch (breakage)
            {
                case "amount": record["amount_minor"] = -random.Next(1, 100); break;
                case "currency": record["currency"] = "??"; break;
                case "missing": record.Remove("terminal_id"); break;
            }
            var line = breakage switch
            {
                "garbage" => new string((char)random.Next(33, 126), random.Next(1, 30)),
                "repeat" when last is not null => last,
                "blank" => "",
                "hostile" => JsonSerializer.Serialize(record).Replace($"\"p{seed}-{i}\"", $"\"{i}_{HostileIds[random.Next(HostileIds.Length)]}\"", StringComparison.Ordinal),
                "unknown" => JsonSerializer.Serialize(record).Replace("{", "{\"note\":\"x\",", StringComparison.Ordinal),
                _ => JsonSerializer.Serialize(record),
            };
            lines.Add(line);
            if (line.Length > 0)
                records++;
            last = line.Length > 0 ? line : last;
        }
        sent += records;
        return (lines, records);
    }
}
