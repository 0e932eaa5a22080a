using System.Text;
using System.Text.Json;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Registry;
using SkimGuard.Simulator;

namespace SkimGuard.Fuzz;

/// <summary>Seed inputs for AFL from a small simulated town: valid records of each kind, one per file, a few bodies.</summary>
internal static class SeedCorpus
{
    public static void Write(string target, string folder)
    {
        Directory.CreateDirectory(folder);
        // Big enough that its skimmers' victims are reported: every kind of record needs valid seeds to start from.
        var start = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-21), TimeSpan.Zero);
        var simulation = new Simulation(new SimulationOptions { Cards = 3000, Days = 20, Skimmers = 2, Start = start });
        var town = new SimulationRecords();
        simulation.Run(town);
        var transactions = town.Transactions.Take(6).Select(t => JsonSerializer.Serialize(t, ContractsJsonContext.Default.Transaction)).ToList();
        var reports = town.Reports.Take(3).Select(r => JsonSerializer.Serialize(r, ContractsJsonContext.Default.FraudReport)).ToList();
        // One with a PAN in place of the token, as banks at the edge send them.
        transactions.Add(transactions[0].Replace($"\"card_token\":\"{town.Transactions[0].CardToken}\"", "\"pan\":\"4111 1111 1111 1111\"", StringComparison.Ordinal));
        var seeds = target switch
        {
            "transaction" => transactions,
            "fraud-report" => reports.Count > 0 ? reports : throw new InvalidOperationException("the seed town has no fraud reports"),
            "csv" => [Csv(town)],
            "body" => [string.Join('\n', reports.Concat(transactions.Take(2))), $"[{string.Join(',', transactions.Take(3))}]"],
            "registry" => [RegistryText(simulation.Registry.Take(5))],
            _ => throw new ArgumentException($"no target '{target}'"),
        };
        for (var i = 0; i < seeds.Count; i++)
            File.WriteAllText(Path.Combine(folder, $"seed-{i}"), seeds[i], new UTF8Encoding(false));
    }

    private static string Csv(SimulationRecords town)
    {
        var header = "txn_id,bank_id,card_token,terminal_id,terminal_type,timestamp,amount_minor,currency,entry_mode,txn_type,approved,country";
        var rows = town.Transactions.Take(4).Select(t => string.Join(',', t.TxnId, t.BankId, t.CardToken, t.TerminalId, "atm", t.Timestamp.ToString("O"), t.AmountMinor, t.Currency, "chip", "withdrawal", "true", t.Country));
        return string.Join('\n', rows.Prepend(header)) + "\n";
    }

    private static string RegistryText(IEnumerable<AtmRecord> atms)
    {
        var path = Path.GetTempFileName();
        AtmRegistry.Save(path, atms);
        var text = File.ReadAllText(path);
        File.Delete(path);
        return text;
    }
}
