using SkimGuard.Detector.Observability;
using SkimGuard.Detector.Redis;
using SkimGuard.Engine.Windows;
using StackExchange.Redis;

namespace SkimGuard.Detector;

/// <summary>
/// Hands the worker a window store: a fresh Redis store handle each time (a handle holds one batch's pending writes,
/// so after a failure a new one starts clean), or the one in-process store of this process.
/// </summary>
public sealed class WindowStores(DetectorOptions options, DetectorMetrics metrics) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _redis = new(() => ConnectAsync(options.Redis));
    private readonly InProcessWindowStore _memory = new();

    /// <summary>A store for a new engine.</summary>
    public async Task<IWindowStore> CreateAsync()
    {
        if (options.Store == "memory")
            return _memory;
        var redis = await _redis.Value;
        var retention = TimeSpan.FromDays(options.Engine.RetentionDays);
        return new RedisWindowStore(redis, new RedisKeys(options.RedisKeyPrefix), retention, options.Engine.DedupeWindow)
        {
            Timed = (step, elapsed) => metrics.RedisSeconds.WithLabels(step).Observe(elapsed.TotalSeconds),
        };
    }

    private static async Task<ConnectionMultiplexer> ConnectAsync(string configuration)
    {
        var config = ConfigurationOptions.Parse(configuration);
        // Start even while Redis is down; the worker reports not-ready and retries until it answers.
        config.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(config);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_redis.IsValueCreated)
            await (await _redis.Value).DisposeAsync();
    }
}
