using SkimGuard.Contracts;
using SkimGuard.Contracts.Registry;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;

namespace SkimGuard.Engine.Tests;

/// <summary>
/// A small town for engine tests: 1,000 cards of two banks use ten everyday ATMs for 20 days; on day 5, forty of
/// them also use ATM-X, where a skimmer sits. Tests then cash out and report those cards as they need.
/// </summary>
internal sealed class Town
{
    public const string Skimmed = "ATM-X";
    public static readonly DateTimeOffset SkimDay = Build.T0.AddDays(5);

    public InProcessWindowStore Store { get; } = new();
    public RecordingSink Sink { get; } = new();
    public CompromiseEngine Engine { get; }
    public List<string> Cards { get; } = [.. Enumerable.Range(0, 1000).Select(i => $"card-{i:D4}")];
    public List<string> Victims { get; }
    public Dictionary<string, string> BankOf { get; }
    public List<Transaction> Visits { get; } = [];

    public Town(CppOptions? options = null)
    {
        Engine = new CompromiseEngine(Store, Sink, options ?? new CppOptions(), AtmRegistry.Empty);
        BankOf = Cards.ToDictionary(c => c, c => int.Parse(c[5..], System.Globalization.CultureInfo.InvariantCulture) % 2 == 0 ? "sbi" : "hdfc");
        Victims = [.. Cards.Where((_, i) => i % 25 == 0)]; // 40 cards
        var random = new Random(5);
        for (var day = 0; day < 20; day++)
        {
            foreach (var card in Cards)
            {
                if (random.NextDouble() < 0.3)
                    Visits.Add(Build.Visit(card, $"ATM-{random.Next(10)}", Build.T0.AddDays(day).AddHours(8 + random.Next(12)), BankOf[card]));
                if (day == 5 && Victims.Contains(card))
                    Visits.Add(Build.Visit(card, Skimmed, SkimDay.AddHours(9).AddMinutes(Victims.IndexOf(card)), BankOf[card]));
            }
            // Bystanders who used ATM-X before and after the skimmer.
            foreach (var card in Cards.Skip(day * 7 + 1).Take(5))
                if (day != 5)
                    Visits.Add(Build.Visit(card, Skimmed, Build.T0.AddDays(day).AddHours(15), BankOf[card]));
        }
        Visits.Sort((a, b) => a.Timestamp.CompareTo(b.Timestamp));
    }

    public async Task FeedVisitsAsync()
    {
        foreach (var visit in Visits)
            await Engine.ProcessAsync(visit);
    }

    /// <summary>Counterfeit reports on the first <paramref name="count"/> victims, one an hour from day 25.</summary>
    public List<FraudReport> VictimReports(int count) =>
        [.. Victims.Take(count).Select((card, i) => Build.Report(card, Build.T0.AddDays(22), Build.T0.AddDays(25).AddHours(i), bank: BankOf[card]))];
}
