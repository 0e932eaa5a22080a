using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Kafka.Mock;
using SkimGuard.Ingest;
using SkimGuard.Ingest.Api;
using SkimGuard.Ingest.Observability;
using SkimGuard.Simulator;
using SkimGuard.TestSupport;

namespace SkimGuard.Bench;

/// <summary>
/// Ingest's speed into librdkafka's mock cluster: the HTTP API with batches of JSON lines (records/s, and p50/p99 per
/// batch), and the Kafka path (records/s forwarded from the incoming topic).
/// </summary>
internal static class IngestBenchmark
{
    private const string Key = "bench-key";

    public static async Task<int> RunAsync(string[] args)
    {
        var batchSize = Args.Int(args, "--batch", 1000);
        var batches = Args.Int(args, "--batches", 300);
        var parallel = Args.Int(args, "--parallel", 4);
        var kafkaRecords = Args.Int(args, "--kafka-records", 100_000);
        var kafkaRuns = Args.Int(args, "--kafka-runs", 3);
        var report = Args.Text(args, "--report", "docs/benchmarks/ingest.md");

        var feeds = new LineFeeds();
        new Simulation(new SimulationOptions { Cards = 100_000, Days = 3, Skimmers = 1, Seed = 5, Atms = 320, Start = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(-4), TimeSpan.Zero) }).Run(feeds);
        Console.Error.WriteLine($"{feeds.Lines.Count:N0} transactions simulated");
        using var kafka = MockKafkaCluster.Start();

        var (rate, p50, p99) = await HttpAsync(kafka.BootstrapServers, feeds, batchSize, batches, parallel);
        Console.Error.WriteLine($"HTTP {rate:N0} records/s, p50 {p50:F1} ms, p99 {p99:F1} ms per batch");
        // A run forwards 100,000 records in about a second (the mock cluster keeps only ~5 MiB per partition): the
        // median of a few runs, each on topics of its own, is steadier than one.
        var kafkaRates = new List<double>();
        for (var run = 0; run < kafkaRuns; run++)
        {
            kafkaRates.Add(await KafkaPathAsync(kafka.BootstrapServers, feeds, kafkaRecords));
            Console.Error.WriteLine($"Kafka path {kafkaRates[^1]:N0} records/s");
        }
        var kafkaRate = kafkaRates.Order().ElementAt(kafkaRates.Count / 2);

        var lines = new[]
        {
            "# Ingest speed",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} on this project's machine ({Environment.ProcessorCount} cores), .NET {Environment.Version}, Release build; Ingest,",
            "its client and librdkafka's mock cluster in one process on loopback:",
            "",
            "```",
            $"dotnet run -c Release --project bench -- ingest --batch {batchSize} --batches {batches} --parallel {parallel} --kafka-records {kafkaRecords} --kafka-runs {kafkaRuns}",
            "```",
            "",
            "| path | records/s | per batch p50 | per batch p99 | goal |",
            "| --- | ---: | ---: | ---: | --- |",
            $"| HTTP, {batches:N0} batches of {batchSize:N0} JSON lines, {parallel} at a time, each acknowledged by Kafka before the answer | **{rate:N0}** | {p50:F1} ms | {p99:F1} ms | >= 50,000/s |",
            $"| Kafka path, {kafkaRecords:N0} records on the incoming topic forwarded (validated, tokenised, deduplicated), median of {kafkaRuns} runs ({string.Join(", ", kafkaRates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))}) | **{kafkaRate:N0}** | | | >= 100,000/s |",
            "",
            "Every record is validated by the contract readers (fast path), checked for duplicates, serialized again and produced",
            "(idempotent, acks=all, lz4); the HTTP answer waits for every acknowledgement.",
        };
        await File.AppendAllTextAsync(report, "");
        var existing = await File.ReadAllTextAsync(report);
        var notes = existing.IndexOf("\n## ", StringComparison.Ordinal) is var at and >= 0 ? existing[at..] : "";
        await File.WriteAllTextAsync(report, string.Join('\n', lines) + "\n" + notes);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }

    private static WebApplicationHolder Start(string bootstrapServers, bool kafkaPath, string prefix)
    {
        var app = IngestApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], o =>
        {
            o.BootstrapServers = bootstrapServers;
            o.TransactionsTopic = $"{prefix}.transactions";
            o.FraudReportsTopic = $"{prefix}.fraud-reports";
            o.RejectedTopic = $"{prefix}.rejected";
            o.IncomingTopic = $"{prefix}.incoming";
            o.IncomingGroupId = prefix;
            o.KafkaPath = kafkaPath;
            o.TokenSecret = "benchmark-token-secret-of-32-bytes-or-more";
            o.RequestsPerSecondPerBank = 100_000;
            o.Banks = SimulationBanks.Ids.ToDictionary(b => b, _ => new BankAccess { ApiKeyHashes = [ApiKeys.HashOf(Key)] });
        });
        return new WebApplicationHolder(app);
    }

    private static async Task<(double Rate, double P50, double P99)> HttpAsync(string bootstrapServers, LineFeeds feeds, int batchSize, int batches, int parallel)
    {
        await using var ingest = Start(bootstrapServers, kafkaPath: false, $"bench-http-{Guid.NewGuid():N}");
        await ingest.App.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(ingest.App.Urls.First()) };
        // One bank per body (the key decides the bank): group the town's lines by bank, cut into batches.
        var bodies = feeds.Lines.GroupBy(l => l.Bank).SelectMany(g => g.Chunk(batchSize).Where(c => c.Length == batchSize))
            .Select(c => Encoding.UTF8.GetBytes(string.Join('\n', c.Select(l => l.Json)))).Take(batches + 20).ToList();
        async Task<double> PostAsync(byte[] body)
        {
            var started = Stopwatch.GetTimestamp();
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/transactions") { Content = content };
            request.Headers.Add("X-Api-Key", Key);
            using var response = await http.SendAsync(request);
            response.EnsureSuccessStatusCode();
            return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
        foreach (var body in bodies.Take(20))
            await PostAsync(body); // warm-up: JIT, connections, topic metadata
        var measured = bodies.Skip(20).ToList();
        var latencies = new System.Collections.Concurrent.ConcurrentBag<double>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(measured, new ParallelOptions { MaxDegreeOfParallelism = parallel }, async (body, _) => latencies.Add(await PostAsync(body)));
        var seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToList();
        return (measured.Count * batchSize / seconds, sorted[sorted.Count / 2], sorted[(int)(sorted.Count * 0.99)]);
    }

    private static async Task<double> KafkaPathAsync(string bootstrapServers, LineFeeds feeds, int records)
    {
        var prefix = $"bench-kafka-{Guid.NewGuid():N}";
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, CompressionType = CompressionType.Lz4, LingerMs = 50 }).Build())
        {
            foreach (var line in feeds.Lines.Take(records))
                producer.Produce($"{prefix}.incoming", new Message<string, byte[]>
                {
                    Key = line.Card, Value = Encoding.UTF8.GetBytes(line.Json),
                    Headers = new Headers { { IncomingHeaders.Bank, Encoding.UTF8.GetBytes(line.Bank) }, { IncomingHeaders.Record, "transaction"u8.ToArray() } },
                });
            producer.Flush(TimeSpan.FromMinutes(2));
        }
        await using var ingest = Start(bootstrapServers, kafkaPath: true, prefix);
        await ingest.App.StartAsync();
        var metrics = ingest.App.Services.GetRequiredService<IngestMetrics>();
        double Forwarded() => metrics.Accepted.GetAllLabelValues().Sum(l => metrics.Accepted.WithLabels(l).Value);
        while (Forwarded() == 0)
            await Task.Delay(1);
        var (start, clock) = (Forwarded(), Stopwatch.StartNew());
        var deadline = DateTime.UtcNow.AddMinutes(5);
        while (Forwarded() < Math.Min(records, feeds.Lines.Count) && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        return (Forwarded() - start) / clock.Elapsed.TotalSeconds;
    }

    private sealed class WebApplicationHolder(Microsoft.AspNetCore.Builder.WebApplication app) : IAsyncDisposable
    {
        public Microsoft.AspNetCore.Builder.WebApplication App => app;

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>The town's transactions as a bank would send them: JSON lines (timestamps within the last days).</summary>
    private sealed class LineFeeds : ISimulationSink
    {
        public List<(string Bank, string Card, string Json)> Lines { get; } = [];

        public void Transaction(Transaction transaction) =>
            Lines.Add((transaction.BankId, transaction.CardToken, JsonSerializer.Serialize(transaction, ContractsJsonContext.Default.Transaction)));

        public void FraudReport(FraudReport report)
        {
        }
    }
}
