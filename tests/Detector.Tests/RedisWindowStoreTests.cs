using SkimGuard.Detector.Redis;
using SkimGuard.Engine.Cpp;
using SkimGuard.Engine.Windows;
using SkimGuard.TestSupport;
using StackExchange.Redis;

namespace SkimGuard.Detector.Tests;

/// <summary>The window-store contract suite against a real redis-server; each test gets its own key prefix.</summary>
public sealed class RedisWindowStoreTests(RedisFixture redis) : WindowStoreContract, IClassFixture<RedisFixture>, IAsyncLifetime
{
    private ConnectionMultiplexer? _connection;

    public async ValueTask InitializeAsync() => _connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
    }

    protected override Task<IWindowStore> CreateStoreAsync() =>
        Task.FromResult<IWindowStore>(new RedisWindowStore(_connection!, new RedisKeys($"test-{Guid.NewGuid():N}"), TimeSpan.FromDays(60), TimeSpan.FromDays(7)));

    [Fact]
    public async Task EveryKeyTheStoreWritesExpires()
    {
        var prefix = $"ttl-{Guid.NewGuid():N}";
        var store = new RedisWindowStore(_connection!, new RedisKeys(prefix), TimeSpan.FromDays(60), TimeSpan.FromDays(7));
        var at = new DateTimeOffset(2026, 3, 1, 9, 0, 0, TimeSpan.Zero);
        await store.MarkAppliedAsync(new('t', "sbi", "1"), at, TestContext.Current.CancellationToken);
        await store.SaveRescanAsync(new RescanEntry("ATM-1", at, null), TestContext.Current.CancellationToken);
        await store.AddVisitAsync(new CardVisit("c1", "sbi", "ATM-1", SkimGuard.Contracts.TerminalType.Atm, at, 19.3, 72.8, "IN"), TestContext.Current.CancellationToken);
        await store.MarkCompromisedAsync(new CompromiseMark("c1", "sbi", 1, Signals.FraudReport, SkimGuard.Contracts.FraudType.Counterfeit, at.AddDays(3), at.AddDays(4), null, Strong: true), TestContext.Current.CancellationToken);
        await store.UpsertCompromisedVisitorAsync("ATM-1", new CompromisedVisitor(new CompromiseMark("c1", "sbi", 1, Signals.FraudReport, null, at.AddDays(3), at.AddDays(4), null), [at]), TestContext.Current.CancellationToken);
        await store.AddCardsSentAsync("a1", "sbi", ["c2"], TestContext.Current.CancellationToken);
        await store.SaveAlertAsync(Alerts.Sample("ATM-1", at), TestContext.Current.CancellationToken);
        await store.CommitBatchAsync(TestContext.Current.CancellationToken);

        var server = _connection!.GetServer(_connection.GetEndPoints()[0]);
        var written = server.Keys(pattern: $"{prefix}:*").ToList();

        Assert.True(written.Count >= 12, $"{written.Count} keys");
        Assert.All(written, key => Assert.NotNull(_connection.GetDatabase().KeyTimeToLive(key)));
    }

    [Fact]
    public async Task KeysWrittenAgainInLaterBatchesLiveAtLeastTheRetention()
    {
        var prefix = $"ttl-{Guid.NewGuid():N}";
        var retention = TimeSpan.FromDays(60);
        var store = new RedisWindowStore(_connection!, new RedisKeys(prefix), retention, TimeSpan.FromDays(7));
        var at = new DateTimeOffset(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
        // The same card and terminal day in three batches, the last also carrying a late visit five days back.
        foreach (var visits in new[] { new[] { at }, [at.AddHours(1)], [at.AddHours(2), at.AddDays(-5)] })
        {
            foreach (var time in visits)
                await store.AddVisitAsync(new CardVisit("c1", "sbi", "ATM-1", SkimGuard.Contracts.TerminalType.Atm, time, 19.3, 72.8, "IN"), TestContext.Current.CancellationToken);
            await store.CommitBatchAsync(TestContext.Current.CancellationToken);
        }

        var server = _connection!.GetServer(_connection.GetEndPoints()[0]);
        var written = server.Keys(pattern: $"{prefix}:*").ToList();
        Assert.Contains(written, key => key.ToString().Contains(":{v:", StringComparison.Ordinal));
        Assert.Equal(2, written.Count(key => key.ToString().Contains(":{td:", StringComparison.Ordinal)));
        Assert.All(written, key => Assert.True(_connection.GetDatabase().KeyTimeToLive(key) >= retention - TimeSpan.FromMinutes(1), $"{key} expires in {_connection.GetDatabase().KeyTimeToLive(key)}"));
    }

    [Fact]
    public async Task CardsAndTerminalsSharingABucketReadOnlyTheirOwn()
    {
        // Ids that are prefixes of one another, a space after one of them, and more of them than buckets, so that
        // several share each bucket and every member range sits next to another.
        var store = new RedisWindowStore(_connection!, new RedisKeys($"bucket-{Guid.NewGuid():N}"), TimeSpan.FromDays(60), TimeSpan.FromDays(7));
        var at = new DateTimeOffset(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
        string[] ids = ["c1", "c10", "c1 0", "c", .. Enumerable.Range(0, 3 * RedisKeys.Buckets).Select(i => $"c10{i}")];
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            for (var visit = 0; visit <= i % 3; visit++)
                await store.AddVisitAsync(new CardVisit(id, "sbi", id, SkimGuard.Contracts.TerminalType.Atm, at.AddDays(visit * 8).AddMinutes(i), 19.3, 72.8, "IN"), TestContext.Current.CancellationToken);
        }
        await store.CommitBatchAsync(TestContext.Current.CancellationToken);

        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var visits = (await store.GetCardAsync(id, TestContext.Current.CancellationToken)).Visits;
            Assert.Equal(i % 3 + 1, visits.Count);
            Assert.All(visits, v => Assert.Equal(id, v.CardToken));
            Assert.All(visits, v => Assert.Equal(id, v.TerminalId));
            var terminal = await store.GetTerminalAsync(id, EventDay.Of(at), EventDay.Of(at), TestContext.Current.CancellationToken);
            Assert.Equal([new CardRef(id, "sbi")], terminal!.CardsByDay[EventDay.Of(at)]);
        }
    }
}
