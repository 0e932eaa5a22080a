using SkimGuard.TestSupport;
using StackExchange.Redis;

namespace SkimGuard.Integration.Tests;

public sealed class RedisFixtureTests(RedisFixture redis) : IClassFixture<RedisFixture>
{
    [Fact]
    public async Task TheFixtureServesARealRedisOnLoopback()
    {
        await using var connection = await ConnectionMultiplexer.ConnectAsync(redis.Server.ConnectionString);
        var db = connection.GetDatabase();

        await db.StringSetAsync("sg:{test}:greeting", "namaste");

        Assert.Equal("namaste", (string?)await db.StringGetAsync("sg:{test}:greeting"));
        Assert.StartsWith("127.0.0.1:", redis.Server.ConnectionString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DataSurvivesAHardRestartThroughTheAppendOnlyFile()
    {
        await using var server = await RedisServer.StartAsync();
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            await connection.GetDatabase().HashSetAsync("sg:{card:1}", "visits", 3);
        }

        await server.RestartAsync();

        await using var again = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        Assert.Equal(3, (int)await again.GetDatabase().HashGetAsync("sg:{card:1}", "visits"));
    }
}
