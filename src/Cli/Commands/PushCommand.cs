using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SkimGuard.Simulator;

namespace SkimGuard.Cli.Commands;

/// <summary>
/// `skimguard push`: the simulated town's banks sending their feeds to Ingest's HTTP API, as partner banks do: each
/// bank with its own API key (PREFIX + bank id), JSON lines in batches, in event-time order, optionally paced.
/// </summary>
internal static class PushCommand
{
    public static Command Create()
    {
        var ingest = new Option<string>("--ingest") { Description = "Ingest's base URL", DefaultValueFactory = _ => "http://localhost:8081" };
        var keyPrefix = new Option<string>("--key-prefix") { Description = "Each bank's API key is this followed by the bank id", DefaultValueFactory = _ => "demo-key-" };
        var cards = new Option<int>("--cards") { Description = "Cards issued to residents", DefaultValueFactory = _ => 20_000 };
        var days = new Option<int>("--days") { Description = "Days to simulate, ending today", DefaultValueFactory = _ => 30 };
        var skimmers = new Option<int>("--skimmers") { Description = "Skimmers planted on ATMs", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of every random choice", DefaultValueFactory = _ => 7UL };
        var batch = new Option<int>("--batch") { Description = "Records per request", DefaultValueFactory = _ => 1000 };
        var rate = new Option<int>("--rate") { Description = "Records per second (0: as fast as Ingest takes them)", DefaultValueFactory = _ => 0 };
        var command = new Command("push", "Send a simulated town's transaction and report feeds to Ingest over HTTP, bank by bank")
        {
            ingest, keyPrefix, cards, days, skimmers, seed, batch, rate,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
            var options = new SimulationOptions
            {
                Cards = parse.GetValue(cards), Days = parse.GetValue(days), Skimmers = parse.GetValue(skimmers), Seed = parse.GetValue(seed),
                Start = today.AddDays(-parse.GetValue(days)),
            };
            var feeds = new BankFeeds();
            new Simulation(options).Run(feeds, cancellationToken: cancellationToken);
            var events = feeds.InEventTimeOrder();
            using var http = new HttpClient { BaseAddress = new Uri(parse.GetValue(ingest)!), Timeout = TimeSpan.FromMinutes(2) };
            return await PushAsync(http, parse.GetValue(keyPrefix)!, events, parse.GetValue(batch), parse.GetValue(rate), cancellationToken);
        });
        return command;
    }

    private static async Task<int> PushAsync(HttpClient http, string keyPrefix, List<BankRecord> events, int batchSize, int rate, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var (sent, accepted, rejected) = (0L, 0L, 0L);
        // Chunks of the time-ordered feed, each sent as one request per bank and kind: close to event-time order.
        foreach (var chunk in events.Chunk(batchSize * 4))
        {
            try
            {
                var (taken, refused) = await BankFeeds.SendAsync(http, keyPrefix, chunk, cancellationToken);
                (accepted, rejected, sent) = (accepted + taken, rejected + refused, sent + chunk.Length);
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine(e.Message);
                return 1;
            }
            Console.Error.Write($"\rpush {sent:N0}/{events.Count:N0} records, {accepted:N0} accepted, {rejected:N0} rejected, {sent / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0}/s   ");
            if (rate > 0 && sent / (double)rate > clock.Elapsed.TotalSeconds)
                await Task.Delay(TimeSpan.FromSeconds(sent / (double)rate) - clock.Elapsed, cancellationToken);
        }
        Console.Error.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"pushed {sent:N0} records in {clock.Elapsed.TotalSeconds:F1} s: {accepted:N0} accepted, {rejected:N0} rejected"));
        return rejected == 0 ? 0 : 1;
    }
}
