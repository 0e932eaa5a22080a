using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Confluent.Kafka;
using Microsoft.Extensions.DependencyInjection;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Detector;
using SkimGuard.Kafka.Mock;
using SkimGuard.Detector.Observability;
using SkimGuard.Detector.Redis;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;
using SkimGuard.Simulator;
using SkimGuard.TestSupport;
using StackExchange.Redis;

namespace SkimGuard.Bench;

/// <summary>
/// The detector's speed on one set of topic data in librdkafka's mock cluster: B0 (a bare consume + deserialize loop),
/// the detector with the in-process store, a bare StackExchange.Redis loop issuing the detector's commands at the same
/// batch depth, the detector with Redis, and per-event latency at 70 % of the highest rate each store keeps up with live.
/// </summary>
internal static partial class DetectorBenchmark
{
    private const string Transactions = "bench.transactions", Reports = "bench.fraud-reports";

    /// <summary>The topics' partitions: the mock cluster keeps about 5 MiB of each, so sixteen hold about 500,000 transactions.</summary>
    private const int Partitions = 16;

    /// <summary>The town the paced (live) measurements replay: 30 days of history per card.</summary>
    private static readonly SimulationOptions LiveTown = new() { Cards = 20_000, Days = 30, Skimmers = 1, Seed = 11, Atms = 150 };

    /// <summary>The live measurements: how long each counts, and the offered rates tried (doubling).</summary>
    private const int MeasuredSeconds = 15;
    private const double LowestOffered = 4000, HighestOffered = 32_000;

    /// <summary>The paced town's messages, simulated once for every live measurement.</summary>
    private static readonly Lazy<MessageFeeds> LiveTownFeeds = new(() =>
    {
        var town = new MessageFeeds();
        new Simulation(LiveTown).Run(town);
        return town;
    });

    public static async Task<int> RunAsync(string[] args)
    {
        var cards = Args.Int(args, "--cards", 240_000);
        var days = Args.Int(args, "--days", 3);
        var batchSize = Args.Int(args, "--batch", 2000);
        var fetchWaitMs = Args.Int(args, "--fetch-wait-ms", new DetectorOptions().FetchWaitMaxMs);
        var batchWaitMs = Args.Int(args, "--batch-wait-ms", new DetectorOptions().BatchWaitMs);
        var report = Args.Text(args, "--report", "docs/benchmarks/detector.md");
        var modelPath = Args.Text(args, "--model", "models/default.zip");

        if (args.Contains("--latency-sweep"))
            return await LatencySweepAsync(
                Args.Text(args, "--stores", "redis,memory").Split(','),
                [.. Args.Text(args, "--rates", "3000,8000,12000").Split(',').Select(r => double.Parse(r, CultureInfo.InvariantCulture))],
                fetchWaitMs, batchWaitMs, aofRewrites: !args.Contains("--no-aof-rewrite"));
        if (args.Contains("--live-batch-path"))
            return await LiveBatchPathAsync(modelPath);
        Console.Error.WriteLine($"simulating {cards:N0} cards x {days} days ...");
        var feeds = new MessageFeeds();
        new Simulation(new SimulationOptions { Cards = cards, Days = days, Skimmers = 2, Seed = 3, Atms = Math.Max(150, cards / 320) }).Run(feeds);
        using var kafka = MockKafkaCluster.Start();
        kafka.CreateTopic(Transactions, Partitions);
        kafka.CreateTopic(Reports, Partitions);
        await using var redis = await RedisServer.StartAsync(appendFsync: "everysec");
        Console.Error.WriteLine($"producing {feeds.Transactions.Count:N0} transactions and {feeds.Reports.Count:N0} reports ...");
        Produce(kafka.BootstrapServers, feeds);
        EnsureNothingWasDropped(kafka.BootstrapServers);
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        // Every Redis measurement starts on an empty Redis: otherwise each would find the data of all before it, and with
        // it longer AOF rewrites (a forked child compressing the whole data set) competing for the two cores.
        async Task<double> OnEmptyRedis(Func<Task<double>> run)
        {
            await server.FlushAllDatabasesAsync();
            return await run();
        }
        if (Args.Text(args, "--detector-only", "") is { Length: > 0 } only)
        {
            // Diagnostic, for a profiler: the detector alone on the topics, three times, with what Redis did for each run
            // (its commandstats: calls and time of the commands behind a commit), then for Redis the bare loop at the
            // depth of its last run, three times. Prints, writes no page.
            var lastDepth = 0;
            var scoringModel = args.Contains("--scoring") ? modelPath : null;
            for (var run = 0; run < 3; run++)
            {
                await server.FlushAllDatabasesAsync();
                await server.ExecuteAsync("CONFIG", "RESETSTAT");
                var redisCpuBefore = await RedisCpuSecondsAsync(server);
                Console.WriteLine($"detector, {only} store{(scoringModel is null ? "" : ", scoring")}: " +
                    $"{(await DetectorRateAsync(kafka.BootstrapServers, redis.ConnectionString, only, batchSize, feeds, scoringModel)).Rate:N0} transactions/s");
                if (only == "redis")
                {
                    Console.WriteLine($"  redis-server CPU: {(await RedisCpuSecondsAsync(server) - redisCpuBefore) * 1e6 / feeds.Transactions.Count:N1} µs a transaction");
                    lastDepth = (int)Math.Round(feeds.Transactions.Count / (double)Math.Max(1, await ExecCallsAsync(server)));
                    PrintCommandStats(await server.InfoAsync("commandstats"));
                    var dataset = (await server.InfoAsync("memory")).SelectMany(g => g).First(e => e.Key == "used_memory_dataset");
                    Console.WriteLine($"  redis memory for data: {long.Parse(dataset.Value, CultureInfo.InvariantCulture) / 1e6:N1} MB; {lastDepth:N0} transactions a commit");
                }
            }
            if (only == "redis")
                await PrintMemoryByKindAsync(admin, server);
            for (var run = 0; only == "redis" && run < 3; run++)
                Console.WriteLine($"bare StackExchange.Redis loop at {lastDepth:N0} a commit: {await OnEmptyRedis(() => BareRedisAsync(redis.ConnectionString, feeds, lastDepth)):N0}/s; " +
                    $"in MULTI/EXEC {await OnEmptyRedis(() => BareRedisAsync(redis.ConnectionString, feeds, lastDepth, inOneTransaction: true)):N0}/s");
            return 0;
        }

        var b0 = BareConsume(kafka.BootstrapServers, feeds.Transactions.Count);
        Console.Error.WriteLine($"B0 {b0:N0}/s");
        // The deployed configuration first: the Redis store, scoring every transaction with the model.
        var model = SkimGuard.Models.FraudModel.Load(modelPath);
        var redisCpu = new List<double>();
        var deployed = await MedianOfThreeAsync(() => OnEmptyRedis(async () =>
        {
            var cpuBefore = await RedisCpuSecondsAsync(server);
            var rate = (await DetectorRateAsync(kafka.BootstrapServers, redis.ConnectionString, "redis", batchSize, feeds, modelPath)).Rate;
            redisCpu.Add((await RedisCpuSecondsAsync(server) - cpuBefore) * 1e6 / feeds.Transactions.Count);
            return rate;
        }));
        Console.Error.WriteLine($"detector, Redis store, scoring {deployed:N0}/s; redis-server CPU {string.Join(", ", redisCpu.Skip(1).Select(c => c.ToString("N1", CultureInfo.InvariantCulture)))} µs a transaction");
        var memoryScoringKafka = await MedianOfThreeAsync(async () => (await DetectorRateAsync(kafka.BootstrapServers, redis.ConnectionString, "memory", batchSize, feeds, modelPath)).Rate);
        Console.Error.WriteLine($"detector, in-process store, scoring {memoryScoringKafka:N0}/s");
        var deployedLatency = new List<(double Rate, (double P50, double P99, double P999, double Count) Latency)>();
        foreach (var rate in new[] { 2000.0, 10_000.0 })
        {
            await server.FlushAllDatabasesAsync();
            deployedLatency.Add((rate, await LatencyAtAsync(kafka.BootstrapServers, redis.ConnectionString, batchSize, rate, fetchWaitMs, batchWaitMs, "redis", modelPath)));
            Console.Error.WriteLine($"Redis store, scoring, at {rate:N0}/s: p50 {deployedLatency[^1].Latency.P50:F2} ms, p99 {deployedLatency[^1].Latency.P99:F2} ms");
        }
        var memory = await MedianOfThreeAsync(async () => (await DetectorRateAsync(kafka.BootstrapServers, redis.ConnectionString, "memory", batchSize, feeds)).Rate);
        Console.Error.WriteLine($"detector, in-process store {memory:N0}/s");
        var memoryAlone = await WithoutKafkaAsync(new InProcessWindowStore(), feeds, batchSize);
        Console.Error.WriteLine($"without Kafka, in-process store {memoryAlone:N0}/s");
        // The Redis detector first: how many transactions its commits carry sets the batch depth that everything else on
        // Redis is measured at. That is at most --batch, and less when the event-time order has fewer ready; counted from
        // Redis's EXECs, so that the bare loop never runs deeper batches than the detector did.
        var depths = new List<double>();
        var withRedis = await MedianOfThreeAsync(() => OnEmptyRedis(async () =>
        {
            await server.ExecuteAsync("CONFIG", "RESETSTAT");
            var rate = (await DetectorRateAsync(kafka.BootstrapServers, redis.ConnectionString, "redis", batchSize, feeds)).Rate;
            depths.Add(feeds.Transactions.Count / (double)Math.Max(1, await ExecCallsAsync(server)));
            return rate;
        }));
        depths.RemoveAt(0); // the warm-up run's
        var depth = (int)Math.Round(depths.Order().ElementAt(1));
        Console.Error.WriteLine($"detector, Redis store {withRedis:N0}/s, {depth:N0} transactions a commit (median of its runs: {string.Join(", ", depths.Select(d => d.ToString("N0", CultureInfo.InvariantCulture)))})");
        await using var redisClient = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var redisAlone = await OnEmptyRedis(() => WithoutKafkaAsync(new RedisWindowStore(redisClient, new RedisKeys($"alone-{Guid.NewGuid():N}"), TimeSpan.FromDays(59), TimeSpan.FromDays(7)), feeds, depth));
        Console.Error.WriteLine($"without Kafka, Redis store {redisAlone:N0}/s");
        var memoryScoring = await WithoutKafkaAsync(new InProcessWindowStore(), feeds, batchSize, model);
        Console.Error.WriteLine($"without Kafka, in-process store, scoring {memoryScoring:N0}/s");
        var redisScoring = await OnEmptyRedis(() => WithoutKafkaAsync(new RedisWindowStore(redisClient, new RedisKeys($"scored-{Guid.NewGuid():N}"), TimeSpan.FromDays(59), TimeSpan.FromDays(7)), feeds, depth, model));
        Console.Error.WriteLine($"without Kafka, Redis store, scoring {redisScoring:N0}/s");
        var bareRedis = await MedianOfThreeAsync(() => OnEmptyRedis(() => BareRedisAsync(redis.ConnectionString, feeds, depth)));
        Console.Error.WriteLine($"bare StackExchange.Redis loop {bareRedis:N0}/s");
        var bareTransactions = await MedianOfThreeAsync(() => OnEmptyRedis(() => BareRedisAsync(redis.ConnectionString, feeds, depth, inOneTransaction: true)));
        Console.Error.WriteLine($"bare StackExchange.Redis loop, a MULTI/EXEC per batch {bareTransactions:N0}/s");
        await server.FlushAllDatabasesAsync();
        var redisLive = await LiveCapacityAsync(kafka.BootstrapServers, redis.ConnectionString, batchSize, fetchWaitMs, batchWaitMs, "redis");
        await server.FlushAllDatabasesAsync();
        var latency = await LatencyAtAsync(kafka.BootstrapServers, redis.ConnectionString, batchSize, Paced(redisLive), fetchWaitMs, batchWaitMs, "redis");
        Console.Error.WriteLine($"Redis store keeps up live to {KeepsUp(redisLive)}; at 70 %: p50 {latency.P50:F2} ms, p99 {latency.P99:F2} ms, p99.9 {latency.P999:F2} ms");
        var memoryLive = await LiveCapacityAsync(kafka.BootstrapServers, redis.ConnectionString, batchSize, fetchWaitMs, batchWaitMs, "memory");
        var memoryLatency = await LatencyAtAsync(kafka.BootstrapServers, redis.ConnectionString, batchSize, Paced(memoryLive), fetchWaitMs, batchWaitMs, "memory");
        Console.Error.WriteLine($"in-process store keeps up live to {KeepsUp(memoryLive)}; at 70 %: p50 {memoryLatency.P50:F2} ms, p99 {memoryLatency.P99:F2} ms");

        string[] lines =
        [
            "# Detector speed",
            "",
            $"Measured {DateTime.UtcNow:yyyy-MM-dd} on this project's machine ({Environment.ProcessorCount} cores), .NET {Environment.Version}, Release build,",
            "librdkafka's mock cluster and redis-server (AOF, appendfsync everysec) on loopback, all in one run on the same topic data:",
            "",
            "```",
            $"dotnet run -c Release --project bench -- detector --cards {cards} --days {days} --batch {batchSize} --fetch-wait-ms {fetchWaitMs} --batch-wait-ms {batchWaitMs} --model {modelPath}",
            "```",
            "",
            $"Data: a simulated town of {cards:N0} cards over {days} days: {feeds.Transactions.Count:N0} transactions and {feeds.Reports.Count:N0} reports",
            $"(lz4-compressed on {Partitions} partitions, which keeps them inside the mock cluster's ~5 MiB per partition). Detector:BatchSize " + batchSize.ToString("N0", CultureInfo.InvariantCulture) + " (most events a batch);",
            "the in-process batch path without Kafka runs batches of that size, every other Redis row the Redis detector's own depth (transactions a commit, counted from Redis's EXECs).",
            "",
            "| what | transactions/s | against |",
            "| --- | ---: | --- |",
            $"| B0: bare Confluent.Kafka consume + System.Text.Json deserialize (median of three passes) | {b0:N0} | |",
            $"| **detector, Redis store, scoring every transaction with `{model.Version}`: what docker-compose deploys** (median of three runs after a warm-up run) | **{deployed:N0}** | {deployed / b0:P0} of B0 (goal >= 50,000/s and >= 25 %); redis-server {redisCpu.Skip(1).Order().ElementAt(1):N1} µs of CPU a transaction |",
            $"| **detector, in-process store, scoring every transaction** | **{memoryScoringKafka:N0}** | {memoryScoringKafka / b0:P0} of B0 (goal >= 50 %) |",
            $"| **detector, in-process store** (validation, event-time order, engine, offsets; median of three runs after a warm-up run) | **{memory:N0}** | {memory / b0:P0} of B0 (goal >= 100,000/s and >= 50 %) |",
            $"| bare StackExchange.Redis loop, the detector's commands per event at the detector's batch depth ({depth:N0} transactions a commit: the median of its runs' commits) | {bareRedis:N0} | |",
            $"| the same bare loop with each batch's writes and applied keys in one MULTI/EXEC, as the detector commits | {bareTransactions:N0} | |",
            $"| **detector, Redis store** (median of three runs after a warm-up run, as every row measured in runs) | **{withRedis:N0}** | {withRedis / bareRedis:P0} of the bare Redis loop (goal >= 50,000/s and >= 80 %); {withRedis / bareTransactions:P0} of it in MULTI/EXEC |",
            $"| the detector's batch path without Kafka (decode, engine, store commit), in-process store | {memoryAlone:N0} | |",
            $"| the detector's batch path without Kafka, Redis store, batches of {depth:N0} | {redisAlone:N0} | {redisAlone / bareRedis:P0} of the bare Redis loop |",
            $"| the batch path without Kafka, in-process store, scoring every transaction with `{model.Version}` | {memoryScoring:N0} | {memoryScoring / memoryAlone:P0} of the same without a model |",
            $"| the batch path without Kafka, Redis store (feature windows in Redis too), scoring every transaction | {redisScoring:N0} | {redisScoring / redisAlone:P0} of the same without a model |",
            "",
            $"Per-event latency, Kafka timestamp to the commit of its batch, on a town with 30 days of history per card, producer paced at",
            $"70 % of the highest rate each store keeps up with live on that town (offered {LowestOffered:N0}/s, doubling up to {HighestOffered:N0}/s, until it falls behind),",
            $"Detector:FetchWaitMaxMs {fetchWaitMs}, Detector:BatchWaitMs {batchWaitMs}, after 5 s of warm-up, over {MeasuredSeconds} s, read from the detector's own latency histogram",
            "(buckets 25 % apart, interpolated as Prometheus's histogram_quantile does):",
            "",
            "| store | keeps up live to | paced at | p50 | p99 | p99.9 | events |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
            $"| Redis | {KeepsUp(redisLive)} | {Paced(redisLive):N0}/s | {latency.P50:F2} ms | {latency.P99:F2} ms | {latency.P999:F2} ms | {latency.Count:N0} |",
            $"| in-process | {KeepsUp(memoryLive)} | {Paced(memoryLive):N0}/s | {memoryLatency.P50:F2} ms | {memoryLatency.P99:F2} ms | {memoryLatency.P999:F2} ms | {memoryLatency.Count:N0} |",
            .. deployedLatency.Select(d => $"| **Redis, scoring every transaction (deployed)**, at the goal's rate | | {d.Rate:N0}/s | {d.Latency.P50:F2} ms | **{d.Latency.P99:F2} ms** (goal <= {(d.Rate < 5000 ? 20 : 50)} ms) | {d.Latency.P999:F2} ms | {d.Latency.Count:N0} |"),
        ];
        Directory.CreateDirectory(Path.GetDirectoryName(report)!);
        await File.AppendAllTextAsync(report, ""); // keep the profile notes a human wrote below, if any
        var existing = await File.ReadAllTextAsync(report);
        var notes = existing.IndexOf("\n## ", StringComparison.Ordinal) is var at and >= 0 ? existing[at..] : "";
        await File.WriteAllTextAsync(report, string.Join('\n', lines) + "\n" + notes);
        Console.WriteLine(string.Join('\n', lines));
        return 0;
    }

    /// <summary>
    /// Diagnostic: per-event latency of both stores at several offered rates, on the paced town of the latency
    /// measurement (30 days of history per card), to find where each falls behind. Prints, writes no page.
    /// </summary>
    private static async Task<int> LatencySweepAsync(IReadOnlyList<string> stores, IReadOnlyList<double> rates, int fetchWaitMs, int batchWaitMs, bool aofRewrites)
    {
        using var kafka = MockKafkaCluster.Start();
        await using var redis = await RedisServer.StartAsync(appendFsync: "everysec");
        await using var admin = await ConnectionMultiplexer.ConnectAsync($"{redis.ConnectionString},allowAdmin=true");
        var server = admin.GetServer(admin.GetEndPoints()[0]);
        // Redis's own latency monitor: which of its events (fork for an AOF rewrite, AOF write or fsync, a slow command)
        // stalled it for 20 ms or more during each measurement.
        await server.ExecuteAsync("CONFIG", "SET", "latency-monitor-threshold", "20");
        // Without automatic AOF rewrites, to see what the rewrite's forked child (compressing the whole data set on
        // one of the two cores) does to the detector's latency.
        if (!aofRewrites)
            await server.ExecuteAsync("CONFIG", "SET", "auto-aof-rewrite-percentage", "0");
        foreach (var store in stores)
            foreach (var rate in rates)
            {
                await server.ExecuteAsync("LATENCY", "RESET");
                var rewritesBefore = await AofRewritesAsync(server);
                var latency = await LatencyAtAsync(kafka.BootstrapServers, redis.ConnectionString, 2000, rate, fetchWaitMs, batchWaitMs, store);
                Console.WriteLine($"{store} store at {rate:N0} transactions/s, fetch wait {fetchWaitMs} ms, batch wait {batchWaitMs} ms: p50 {latency.P50:F2} ms, p99 {latency.P99:F2} ms, {latency.Count:N0} events in 15 s");
                if (store == "redis")
                    Console.WriteLine($"  AOF rewrites during it: {await AofRewritesAsync(server) - rewritesBefore}");
                if (store == "redis")
                    foreach (var redisEvent in (RedisResult[])(await server.ExecuteAsync("LATENCY", "LATEST"))!)
                    {
                        var fields = (RedisResult[])redisEvent!;
                        Console.WriteLine($"  redis stalled by {fields[0]}: latest {fields[2]} ms, worst {fields[3]} ms");
                    }
            }
        return 0;
    }

    /// <summary>
    /// Redis's memory by kind of key (MEMORY USAGE of every key, grouped by the name in its hash tag and its suffix: `v`
    /// card visits, `fc` card features, `td` terminal days, `t…:f` terminal features, and so on; docs/detector.md has the
    /// layout), for the capacity model (docs/capacity.md).
    /// </summary>
    private static async Task PrintMemoryByKindAsync(ConnectionMultiplexer admin, IServer server)
    {
        var db = admin.GetDatabase();
        var kinds = new SortedDictionary<string, (long Keys, long Bytes)>(StringComparer.Ordinal);
        foreach (var key in server.Keys(pattern: "*", pageSize: 1000))
        {
            var match = Regex.Match(key.ToString(), @"\{([a-z]+)[^}]*\}(.*)$");
            var kind = match.Success ? match.Groups[1].Value + match.Groups[2].Value : Regex.Replace(key.ToString(), @"[0-9]+", "N");
            var bytes = (long)(await db.ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0"));
            var (count, total) = kinds.GetValueOrDefault(kind);
            kinds[kind] = (count + 1, total + bytes);
        }
        foreach (var (kind, (count, bytes)) in kinds)
            Console.WriteLine($"  redis memory, {kind}: {count:N0} keys, {bytes / 1e6:N1} MB");
    }

    /// <summary>redis-server's CPU so far (user and system, its main thread and the rest), in seconds.</summary>
    private static async Task<double> RedisCpuSecondsAsync(IServer server) =>
        (await server.InfoAsync("cpu")).SelectMany(g => g).Where(e => e.Key is "used_cpu_sys" or "used_cpu_user")
            .Sum(e => double.Parse(e.Value, CultureInfo.InvariantCulture));

    private static async Task<long> AofRewritesAsync(IServer server) =>
        long.Parse((await server.InfoAsync("persistence")).SelectMany(g => g).First(e => e.Key == "aof_rewrites").Value, CultureInfo.InvariantCulture);

    /// <summary>
    /// Diagnostic: the batch path without Kafka on the latency measurement's town, at several batch sizes, so that the
    /// store's cost with real histories can be told apart from Kafka's. Prints, writes no page.
    /// </summary>
    private static async Task<int> LiveBatchPathAsync(string modelPath)
    {
        await using var redis = await RedisServer.StartAsync(appendFsync: "everysec");
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.ConnectionString);
        var town = new MessageFeeds();
        new Simulation(LiveTown).Run(town);
        foreach (var batch in new[] { 2000, 200, 50 })
        {
            var rate = await WithoutKafkaAsync(new RedisWindowStore(client, new RedisKeys($"live-{Guid.NewGuid():N}"), TimeSpan.FromDays(59), TimeSpan.FromDays(7)), town, batch);
            Console.WriteLine($"Redis store, batches of {batch}: {rate:N0} transactions/s");
        }
        Console.WriteLine($"in-process store, batches of 2000: {await WithoutKafkaAsync(new InProcessWindowStore(), town, 2000):N0} transactions/s");
        var model = SkimGuard.Models.FraudModel.Load(modelPath);
        for (var run = 0; run < 3; run++)
        {
            var allocated = GC.GetTotalAllocatedBytes();
            var rate = await WithoutKafkaAsync(new RedisWindowStore(client, new RedisKeys($"live-scored-{Guid.NewGuid():N}"), TimeSpan.FromDays(59), TimeSpan.FromDays(7)), town, 2000, model);
            Console.WriteLine($"Redis store, batches of 2000, scoring with {model.Version}: {rate:N0} transactions/s, {(GC.GetTotalAllocatedBytes() - allocated) / (double)town.Transactions.Count:N0} bytes allocated a transaction");
        }
        Console.WriteLine($"in-process store, batches of 2000, scoring: {await WithoutKafkaAsync(new InProcessWindowStore(), town, 2000, model):N0} transactions/s");
        return 0;
    }

    private static void Produce(string bootstrapServers, MessageFeeds feeds)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers, EnableIdempotence = true, Acks = Acks.All, CompressionType = CompressionType.Lz4, LingerMs = 50, BatchSize = 1_000_000,
        }).Build();
        foreach (var (key, value) in feeds.Transactions)
            ProduceWhenRoom(producer, Transactions, key, value);
        foreach (var (key, value) in feeds.Reports)
            ProduceWhenRoom(producer, Reports, key, value);
        producer.Flush(TimeSpan.FromMinutes(5));
    }

    /// <summary>Produces, waiting for deliveries while librdkafka's local queue (100,000 messages) is full.</summary>
    private static void ProduceWhenRoom(IProducer<string, byte[]> producer, string topic, string key, byte[] value)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = value });
                return;
            }
            catch (ProduceException<string, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    /// <summary>The mock cluster keeps about 5 MiB per partition: fail loudly rather than measure a partial data set.</summary>
    private static void EnsureNothingWasDropped(string bootstrapServers)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrapServers, GroupId = "bench-check" }).Build();
        foreach (var topic in new[] { Transactions, Reports })
            for (var p = 0; p < Partitions; p++)
                if (consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).Low.Value > 0)
                    throw new InvalidOperationException($"the mock cluster dropped the start of {topic}[{p}]: use fewer --cards or --days");
    }

    /// <summary>
    /// B0: every transaction consumed and deserialized, nothing else; the ceiling for anything reading Kafka. The topic
    /// is read in about a second, so it is read three times over (the first also warms the code up) and the median
    /// taken.
    /// </summary>
    private static double BareConsume(string bootstrapServers, int count)
    {
        var rates = new List<double>();
        for (var pass = 0; pass < 3; pass++)
        {
            using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
            {
                BootstrapServers = bootstrapServers, GroupId = "bench-b0", EnableAutoCommit = false, QueuedMinMessages = 20_000, FetchQueueBackoffMs = 10,
            }).Build();
            consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(Transactions, p, Offset.Beginning)));
            var read = 0;
            var clock = new Stopwatch();
            var allocatedBefore = GC.GetTotalAllocatedBytes();
            while (read < count)
            {
                if (consumer.Consume(TimeSpan.FromSeconds(10)) is not { } result)
                    throw new TimeoutException("B0 stalled");
                clock.Start();
                if (JsonSerializer.Deserialize(result.Message.Value, ContractsJsonContext.Default.Transaction) is not null)
                    read++;
            }
            rates.Add((count - 1) / clock.Elapsed.TotalSeconds);
            Console.Error.WriteLine($"B0 pass {pass + 1}: {rates[^1]:N0}/s, {(GC.GetTotalAllocatedBytes() - allocatedBefore) / (double)count:N0} bytes allocated a message");
        }
        return rates.Order().ElementAt(1);
    }

    /// <summary>A detector in this process on the given topics, with a consumer group and Redis key prefix of its own.</summary>
    private static Microsoft.AspNetCore.Builder.WebApplication BuildDetector(string bootstrapServers, string redis, string store, int batchSize,
        string transactionsTopic, string reportsTopic, Action<DetectorOptions>? more = null)
    {
        var group = $"bench-{store}-{Guid.NewGuid():N}";
        return DetectorApp.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], o =>
        {
            o.BootstrapServers = bootstrapServers;
            o.GroupId = group;
            o.Store = store;
            o.Redis = redis;
            o.RedisKeyPrefix = group;
            o.BatchSize = batchSize;
            o.TransactionsTopic = transactionsTopic;
            o.FraudReportsTopic = reportsTopic;
            o.SessionTimeoutMs = 6000;
            more?.Invoke(o);
        });
    }

    /// <summary>
    /// The detector from its first applied transaction (after the group join) until every transaction is applied and it is
    /// caught up.
    /// </summary>
    private static async Task<(double Rate, double Seconds)> DetectorRateAsync(string bootstrapServers, string redis, string store, int batchSize, MessageFeeds feeds,
        string? modelPath = null)
    {
        var app = BuildDetector(bootstrapServers, redis, store, batchSize, Transactions, Reports, o => o.ModelPath = modelPath);
        await app.StartAsync();
        var metrics = app.Services.GetRequiredService<DetectorMetrics>();
        double Applied() => metrics.Processed.WithLabels(Transactions).Value + metrics.Duplicates.WithLabels(Transactions).Value;
        while (Applied() == 0)
            await Task.Delay(1);
        var (startCount, clock, pausedBefore, allocatedBefore) = (Applied(), Stopwatch.StartNew(), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        int[] collectionsBefore = [GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2)];
        while (Applied() < feeds.Transactions.Count)
            await Task.Delay(5);
        var seconds = clock.Elapsed.TotalSeconds;
        // The whole process's allocations (librdkafka's buffers are native and not counted) per transaction applied.
        var allocatedPerTransaction = (GC.GetTotalAllocatedBytes() - allocatedBefore) / Math.Max(1.0, Applied() - startCount);
        // CollectionCount(0) counts every collection; gen1 and gen2 ones are counted again in their own generation.
        var collections = Enumerable.Range(0, 3).Select(g => GC.CollectionCount(g) - collectionsBefore[g]).ToArray();
        // CPU of the whole process: the detector, and the mock broker and librdkafka's threads serving it.
        var cpuPerTransaction = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMicroseconds / Math.Max(1.0, Applied() - startCount);
        Console.Error.WriteLine($"  {store} store{(modelPath is null ? "" : ", scoring")}: GC paused the process {(GC.GetTotalPauseDuration() - pausedBefore).TotalSeconds / seconds:P0} of the run " +
            $"({collections[0] - collections[1]} gen0, {collections[1] - collections[2]} gen1, {collections[2]} gen2 collections); {allocatedPerTransaction:N0} bytes allocated " +
            $"and {cpuPerTransaction:N1} µs of the process's CPU a transaction");
        await app.StopAsync();
        await app.DisposeAsync();
        return ((feeds.Transactions.Count - startCount) / seconds, seconds);
    }

    /// <summary>
    /// The median of three runs after one run to warm up (the detector's each on its own consumer group and Redis keys).
    /// A run lasts seconds, and the tiered JIT is still compiling the hot code through the first two: a profile of the
    /// Redis detector's runs found its compiler thread with a fifth of the process's CPU, and runs one to three of it
    /// went 67,000, 75,000, 75,000/s, or 74,000, 81,000, 93,000/s. A detector runs for days; what counts is the code warm.
    /// </summary>
    private static async Task<double> MedianOfThreeAsync(Func<Task<double>> run)
    {
        Console.Error.WriteLine($"  warm-up run: {await run():N0}/s (not counted)");
        var rates = new List<double>();
        for (var i = 0; i < 3; i++)
        {
            rates.Add(await run());
            Console.Error.WriteLine($"  run {i + 1}: {rates[^1]:N0}/s");
        }
        return rates.Order().ElementAt(1);
    }

    /// <summary>
    /// What the detector does with a batch once Kafka has handed it over, fed from memory: validate each message, then
    /// one engine batch (store read-ahead, events, commit). Shows the detector's own capacity beside Kafka's.
    /// </summary>
    private static async Task<double> WithoutKafkaAsync(IWindowStore store, MessageFeeds feeds, int batchSize, SkimGuard.Models.FraudModel? model = null)
    {
        var scoring = model is null ? null : new SkimGuard.Engine.Features.FraudScoring(() => model);
        var engine = new CompromiseEngine(store, new NoSink(), new CppOptions(), SkimGuard.Contracts.Registry.AtmRegistry.Empty, scoring);
        var clock = Stopwatch.StartNew();
        foreach (var batch in feeds.Transactions.Chunk(batchSize))
        {
            var events = batch.Select(m => SkimGuard.Engine.Replay.ReplayEvent.Of(SkimGuard.Contracts.Validation.TransactionReader.Read(m.Value, SkimGuard.Contracts.Validation.ReadContext.Internal).Record!)).ToList();
            await engine.ProcessBatchAsync(events);
        }
        return feeds.Transactions.Count / clock.Elapsed.TotalSeconds;
    }

    private sealed class NoSink : IAlertSink
    {
        public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    /// <summary>Redis's calls and time for the commands a commit sends, from INFO commandstats.</summary>
    /// <summary>How many MULTI/EXEC transactions Redis ran since its statistics were reset.</summary>
    private static async Task<long> ExecCallsAsync(IServer server)
    {
        var exec = (await server.InfoAsync("commandstats")).SelectMany(g => g).FirstOrDefault(e => e.Key == "cmdstat_exec").Value;
        return exec is null ? 0 : long.Parse(exec.Split(',')[0]["calls=".Length..], CultureInfo.InvariantCulture);
    }

    private static void PrintCommandStats(IGrouping<string, KeyValuePair<string, string>>[] info)
    {
        // The commit's commands, then the reads in the middle of batches and the writes the bare loop leaves out.
        string[] shown = ["cmdstat_exec", "cmdstat_zadd", "cmdstat_sadd", "cmdstat_expire", "cmdstat_pexpire", "cmdstat_smismember",
            "cmdstat_zrangebyscore", "cmdstat_zmscore", "cmdstat_hgetall", "cmdstat_hmset", "cmdstat_eval"];
        foreach (var (command, stats) in info.SelectMany(g => g).Where(e => shown.Contains(e.Key)))
            Console.WriteLine($"  redis {command["cmdstat_".Length..]}: {string.Join(", ", stats.Split(',').Take(2))}");
    }

    /// <summary>
    /// The detector's Redis work without the detector: per batch, the read-ahead of applied keys (2,000 to a command, as
    /// the store sends them); the batch's card visits as one ZADD per visit bucket and its terminals' cards as one ZADD
    /// per terminal-day bucket (a TTL the first time a bucket is written: the store sets it once a week); the
    /// active-card and active-terminal ZADD GT, then the applied-key SADDs, all awaited. <paramref name="inOneTransaction"/>
    /// sends a batch's writes and applied keys in one MULTI/EXEC, as the detector's all-or-nothing commit does; otherwise
    /// they are pipelined as they are made.
    /// </summary>
    private static async Task<double> BareRedisAsync(string redisConnection, MessageFeeds feeds, int batchSize, bool inOneTransaction = false)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(redisConnection);
        var db = redis.GetDatabase();
        var keys = new RedisKeys($"bare-{Guid.NewGuid():N}");
        var transactions = feeds.Transactions.Select(m => JsonSerializer.Deserialize(m.Value, ContractsJsonContext.Default.Transaction)!).ToList();
        var retention = TimeSpan.FromDays(59);
        var bucketsWithTtl = new HashSet<RedisKey>();
        var clock = Stopwatch.StartNew();
        foreach (var batch in transactions.Chunk(batchSize))
        {
            var byDay = batch.GroupBy(t => EventDay.Of(t.Timestamp)).ToList();
            // Event keys go 2,000 to a command, as the store sends them (RedisWindowStore.InChunks).
            static IEnumerable<RedisValue[]> KeyChunks(IEnumerable<Transaction> day) => day.Select(t => (RedisValue)(long)EventKey.Of(t).Hash64()).Chunk(2_000);
            await Task.WhenAll(byDay.SelectMany(d => KeyChunks(d).Select(chunk => db.SetContainsAsync(keys.Applied(d.Key), chunk))));
            var writes = new List<Task>();
            var transaction = inOneTransaction ? db.CreateTransaction() : null;
            IDatabaseAsync target = transaction ?? (IDatabaseAsync)db;
            var buckets = new Dictionary<RedisKey, List<SortedSetEntry>>();
            void Add(RedisKey key, RedisValue member, string id) => (buckets.TryGetValue(key, out var members) ? members : buckets[key] = []).Add(new SortedSetEntry(member, MemberScores.OfId(id)));
            var activeCards = new Dictionary<string, int>();
            var activeTerminals = new Dictionary<string, int>();
            foreach (var tx in batch.Where(t => t.IsCardPresent))
            {
                var day = EventDay.Of(tx.Timestamp);
                Add(keys.CardVisits(tx.CardToken, RedisKeys.Week(day)), VisitMember.Of(new CardVisit(tx.CardToken, tx.BankId, tx.TerminalId, tx.TerminalType, tx.Timestamp, tx.Lat, tx.Lon, tx.Country)), tx.CardToken);
                Add(keys.TerminalDay(tx.TerminalId, day), TerminalDayMember.Of(tx.TerminalId, new CardRef(tx.CardToken, tx.BankId)), tx.TerminalId);
                activeCards[tx.CardToken] = day;
                activeTerminals[tx.TerminalId] = day;
            }
            foreach (var (key, members) in buckets)
            {
                writes.Add(target.SortedSetAddAsync(key, [.. members]));
                if (bucketsWithTtl.Add(key))
                    writes.Add(target.KeyExpireAsync(key, retention));
            }
            writes.Add(target.SortedSetAddAsync(keys.ActiveCards, [.. activeCards.Select(e => new SortedSetEntry(e.Key, MemberScores.OfDay(e.Key, e.Value)))], SortedSetWhen.GreaterThan));
            writes.Add(target.SortedSetAddAsync(keys.ActiveTerminals, [.. activeTerminals.Select(e => new SortedSetEntry(e.Key, MemberScores.OfDay(e.Key, e.Value)))], SortedSetWhen.GreaterThan));
            if (transaction is null)
            {
                await Task.WhenAll(writes);
                await Task.WhenAll(byDay.SelectMany(d => KeyChunks(d).Select(chunk => db.SetAddAsync(keys.Applied(d.Key), chunk))));
                continue;
            }
            writes.AddRange(byDay.SelectMany(d => KeyChunks(d).Select(chunk => transaction.SetAddAsync(keys.Applied(d.Key), chunk))));
            if (!await transaction.ExecuteAsync())
                throw new RedisException("the bare loop's transaction was not executed");
            await Task.WhenAll(writes);
        }
        return transactions.Count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// The highest offered rate (of a doubling series from 4,000/s) at which the detector keeps up on the paced town:
    /// nearly every event offered in the window committed, p99 under a second. The latency figures are taken at 70 % of it.
    /// </summary>
    private static async Task<double> LiveCapacityAsync(string bootstrapServers, string redis, int batchSize, int fetchWaitMs, int batchWaitMs, string store)
    {
        var kept = 0.0;
        for (var rate = LowestOffered; rate <= HighestOffered; rate *= 2)
        {
            var (_, p99, _, count) = await LatencyAtAsync(bootstrapServers, redis, batchSize, rate, fetchWaitMs, batchWaitMs, store);
            var keepsUp = count >= 0.95 * rate * MeasuredSeconds && p99 < 1000;
            Console.Error.WriteLine($"{store} store offered {rate:N0}/s: {count / MeasuredSeconds:N0}/s committed, p99 {p99:F0} ms{(keepsUp ? "" : ": falls behind")}");
            if (!keepsUp)
                break;
            kept = rate;
        }
        return kept;
    }

    /// <summary>The rate to pace the latency measurement at: 70 % of what the store keeps up with (of the lowest offered if none).</summary>
    private static double Paced(double keptUpWith) => 0.7 * Math.Max(keptUpWith, LowestOffered);

    /// <summary>The rate a store keeps up with, as the page shows it.</summary>
    private static string KeepsUp(double keptUpWith) =>
        keptUpWith == 0 ? $"under {LowestOffered:N0}/s" : keptUpWith >= HighestOffered ? $"{keptUpWith:N0}/s or more" : $"{keptUpWith:N0}/s";

    /// <summary>
    /// Per-event latency with either store: a producer paced at <paramref name="rate"/> transactions/s (the town replayed again
    /// with fresh ids) into a new topic that the detector consumes live; the detector's latency histogram is read after
    /// a warm-up and at the end, and the difference gives the percentiles.
    /// </summary>
    private static async Task<(double P50, double P99, double P999, double Count)> LatencyAtAsync(string bootstrapServers, string redis, int batchSize, double rate, int fetchWaitMs, int batchWaitMs, string store,
        string? modelPath = null)
    {
        var topic = $"bench.live.{Guid.NewGuid():N}";
        var app = BuildDetector(bootstrapServers, redis, store, batchSize, topic, topic + ".reports", o =>
        {
            o.FetchWaitMaxMs = fetchWaitMs;
            o.BatchWaitMs = batchWaitMs;
            o.ModelPath = modelPath;
        });
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, EnableIdempotence = true, Acks = Acks.All, LingerMs = 1 }).Build();
        // Create both topics before the detector subscribes (the reports one with a message it rejects).
        producer.Produce(topic + ".reports", new Message<string, byte[]> { Key = "x", Value = "{}"u8.ToArray() });
        producer.Produce(topic, new Message<string, byte[]> { Key = "x", Value = "{}"u8.ToArray() });
        producer.Flush(TimeSpan.FromSeconds(30));
        var town = LiveTownFeeds.Value;
        await app.StartAsync();
        var metrics = app.Services.GetRequiredService<DetectorMetrics>();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        // Pace only once the detector has joined its group and read the topic's first message: a backlog built up during
        // the join (about 3 s) would outgrow what the mock cluster keeps at the higher rates.
        for (var waited = Stopwatch.StartNew(); metrics.Consumed.WithLabels(topic).Value == 0; await Task.Delay(10))
            if (waited.Elapsed > TimeSpan.FromMinutes(1))
                throw new TimeoutException("the detector did not start consuming within a minute");

        using var stop = new CancellationTokenSource();
        // Paced in 1 ms steps by sleeping, not spinning: the producer shares the machine's two cores with the detector.
        // On a thread of its own: a sleeping thread-pool thread would starve the detector's continuations.
        var pacing = Task.Factory.StartNew(() =>
        {
            var clock = Stopwatch.StartNew();
            var sent = 0L;
            foreach (var (key, value) in town.Transactions.Concat(town.Transactions.Select(t => (t.Key, Renamed(t.Value)))))
            {
                if (stop.IsCancellationRequested)
                    return;
                if (sent > clock.Elapsed.TotalSeconds * rate)
                    Thread.Sleep(1);
                producer.Produce(topic, new Message<string, byte[]> { Key = key, Value = value });
                sent++;
            }
        }, TaskCreationOptions.LongRunning);
        while (metrics.Processed.WithLabels(topic).Value == 0)
            await Task.Delay(10);
        await Task.Delay(TimeSpan.FromSeconds(5)); // warm-up: JIT, dictionaries and connections grown
        var before = Buckets(await http.GetStringAsync("/metrics"));
        var (gen2Before, pausedBefore) = (GC.CollectionCount(2), GC.GetTotalPauseDuration());
        var redisStepsBefore = RedisSteps(metrics);
        await Task.Delay(TimeSpan.FromSeconds(MeasuredSeconds));
        var after = Buckets(await http.GetStringAsync("/metrics"));
        if (store == "redis")
            Console.Error.WriteLine($"  redis steps in the window: {string.Join(", ", RedisSteps(metrics).Select(step =>
            {
                var (count, seconds) = redisStepsBefore.GetValueOrDefault(step.Key);
                return $"{step.Key} {step.Value.Count - count:N0} in {step.Value.Seconds - seconds:N2} s";
            }))}");
        // The whole process's collections in the window (the paced producer and the mock broker live in it too).
        var lastFull = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        Console.Error.WriteLine($"  {store} store at {rate:N0}/s: GC in the window: {GC.CollectionCount(2) - gen2Before} gen2 collections, " +
            $"{(GC.GetTotalPauseDuration() - pausedBefore).TotalMilliseconds:N0} ms paused; the last full blocking one paused {lastFull.PauseDurations[0].TotalMilliseconds:N0} ms");
        await stop.CancelAsync();
        await pacing;
        await app.StopAsync();
        await app.DisposeAsync();
        var window = after.Select((b, i) => (b.Le, Count: b.Count - before[i].Count)).ToList();
        return (Quantile(window, 0.5), Quantile(window, 0.99), Quantile(window, 0.999), window[^1].Count);
    }

    /// <summary>The Redis store's round trips so far, by step (from the detector's histogram): how many, and their time.</summary>
    private static Dictionary<string, (double Count, double Seconds)> RedisSteps(DetectorMetrics metrics) =>
        metrics.RedisSeconds.GetAllLabelValues().ToDictionary(labels => labels[0], labels =>
        {
            var step = metrics.RedisSeconds.WithLabels(labels);
            return ((double)step.Count, step.Sum);
        });

    /// <summary>The same transaction with another id, for the second pass of the paced replay.</summary>
    private static byte[] Renamed(byte[] json) =>
        System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(json).Replace("\"txn_id\":\"", "\"txn_id\":\"again-", StringComparison.Ordinal));

    private static List<(double Le, double Count)> Buckets(string metricsText) =>
        [.. LatencyBucket().Matches(metricsText).Select(m => (
            m.Groups["le"].Value == "+Inf" ? double.PositiveInfinity : double.Parse(m.Groups["le"].Value, CultureInfo.InvariantCulture),
            double.Parse(m.Groups["count"].Value, CultureInfo.InvariantCulture)))];

    /// <summary>The q-quantile in milliseconds from cumulative buckets, linear within the bucket (Prometheus's histogram_quantile).</summary>
    private static double Quantile(List<(double Le, double Count)> cumulative, double q)
    {
        var rank = q * cumulative[^1].Count;
        var (lower, below) = (0.0, 0.0);
        foreach (var (le, count) in cumulative)
        {
            if (count >= rank)
                return 1000 * (double.IsInfinity(le) ? lower : lower + (le - lower) * (rank - below) / Math.Max(1, count - below));
            (lower, below) = (le, count);
        }
        return 1000 * lower;
    }

    [GeneratedRegex("""skimguard_detector_event_latency_seconds_bucket\{le="(?<le>[^"]+)"\} (?<count>[0-9.e+]+)""")]
    private static partial Regex LatencyBucket();

    /// <summary>The simulation's records as the messages Ingest would produce (key: card token).</summary>
    private sealed class MessageFeeds : ISimulationSink
    {
        public List<(string Key, byte[] Value)> Transactions { get; } = [];
        public List<(string Key, byte[] Value)> Reports { get; } = [];

        public void Transaction(Transaction transaction) =>
            Transactions.Add((transaction.CardToken, JsonSerializer.SerializeToUtf8Bytes(transaction, ContractsJsonContext.Default.Transaction)));

        public void FraudReport(FraudReport report) =>
            Reports.Add((report.CardToken, JsonSerializer.SerializeToUtf8Bytes(report, ContractsJsonContext.Default.FraudReport)));
    }
}
