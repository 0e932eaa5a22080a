using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Contracts.Tests;

/// <summary>
/// The hand-written fast reader gives exactly the record the source-generated contract gives, and leaves to the
/// thorough path everything the contract would not accept as it stands.
/// </summary>
public sealed class TransactionJsonReaderTests
{
    [Fact]
    public void ItReadsEveryRecordExactlyAsTheSourceGeneratedContractDoesInAnyFieldOrder()
    {
        var random = new Random(11);
        string[] ids = ["sbi-1", "ATM-MB-0001", "ct_9f8e7d", "तिजोरी-७", "quote\"and\\slash", "tab\there", "x"];
        for (var i = 0; i < 2_000; i++)
        {
            var record = new JsonObject
            {
                ["schema_version"] = random.Next(3) == 0 ? 2 : 1,
                ["txn_id"] = ids[random.Next(ids.Length)] + i,
                ["bank_id"] = ids[random.Next(ids.Length)],
                ["card_token"] = ids[random.Next(ids.Length)],
                ["terminal_id"] = ids[random.Next(ids.Length)],
                ["terminal_type"] = Pick(random, WireNames.Of<TerminalType>().Keys),
                ["timestamp"] = Pick(random, ["2026-05-30T09:15:00Z", "2026-05-30T09:15:00.1234567Z", "2026-05-30T14:45:00+05:30", "2018-04-01T00:00:31Z"]),
                ["amount_minor"] = random.NextInt64(0, 10_000_000_000),
                ["currency"] = Pick(random, ["INR", "EUR", "USD", "XYZ", "inr"]),
                ["entry_mode"] = Pick(random, WireNames.Of<EntryMode>().Keys),
                ["txn_type"] = Pick(random, WireNames.Of<TxnType>().Keys),
                ["approved"] = random.Next(2) == 0,
                ["country"] = Pick(random, ["IN", "BE", "US", "ZZ", "in"]),
            };
            if (random.Next(2) == 0)
                record["card_bin"] = random.Next(3) == 0 ? null : "459150";
            if (random.Next(2) == 0)
                record["card_last4"] = "1234";
            if (random.Next(3) > 0)
            {
                record["lat"] = random.Next(4) == 0 ? null : Math.Round(random.NextDouble() * 180 - 90, random.Next(1, 15));
                record["lon"] = random.NextDouble() * 360 - 180;
            }
            var shuffled = new JsonObject();
            foreach (var (name, value) in record.OrderBy(_ => random.Next()).ToList())
                shuffled[name] = value?.DeepClone();
            var utf8 = Encoding.UTF8.GetBytes(shuffled.ToJsonString());

            var expected = JsonSerializer.Deserialize(utf8, ContractsJsonContext.Default.Transaction);
            Assert.Equal(expected, TransactionJsonReader.TryRead(utf8));
        }
    }

    public static TheoryData<string> LeftToTheThoroughPath() => new()
    {
        """{"schema_version":1,"txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true}""", // no country
        """{"schema_version":1,"txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN","pan":"4111111111111111"}""",
        """{"schema_version":1,"txn_id":"a","txn_id":"b","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""",
        """{"schema_version":1,"txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"ATM","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""",
        """{"schema_version":"1","txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""",
        """{"schema_version":1,"txn_id":null,"bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""",
        """{"schema_version":1,"txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30 09:15","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""",
        """{"schema_version":1,"txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1.5,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""",
        """{"schema_version":1,"txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":"yes","country":"IN"}""",
        """{"schema_version":1,"txn_id":{"nested":1},"bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""",
        """{"schema_version":1,"t\u0078n_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"}""", // an escaped field name
        """{"schema_version":1,"txn_id":"a","bank_id":"b","card_token":"c","terminal_id":"t","terminal_type":"atm","timestamp":"2026-05-30T09:15:00Z","amount_minor":1,"currency":"INR","entry_mode":"chip","txn_type":"withdrawal","approved":true,"country":"IN"} {}""",
        "{\"schema_version\":1,\"txn_id\":\"a\",\"country\":\"IN\"", // cut short
        """[1, 2]""",
        "",
    };

    [Theory]
    [MemberData(nameof(LeftToTheThoroughPath))]
    public void WhatTheContractWouldNotTakeAsItStandsIsLeftToTheThoroughPath(string json)
    {
        Assert.Null(TransactionJsonReader.TryRead(Encoding.UTF8.GetBytes(json)));
    }

    [Fact]
    public void TextThatIsNotUtf8IsLeftToTheThoroughPathNotThrown()
    {
        var json = Encoding.UTF8.GetBytes("""{"schema_version":1,"txn_id":"a?","bank_id":"b"}""");
        json[Array.IndexOf(json, (byte)'?')] = 0xC3; // a lead byte with no continuation

        Assert.Null(TransactionJsonReader.TryRead(json));
    }

    private static string Pick(Random random, IEnumerable<string> values)
    {
        var list = values.ToList();
        return list[random.Next(list.Count)];
    }
}
