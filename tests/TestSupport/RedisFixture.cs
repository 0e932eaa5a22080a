using Xunit;

namespace SkimGuard.TestSupport;

/// <summary>An xUnit fixture owning one <see cref="RedisServer"/> for a test class or collection.</summary>
public sealed class RedisFixture : IAsyncLifetime
{
    private RedisServer? _server;

    public RedisServer Server => _server ?? throw new InvalidOperationException("the fixture is not started");

    public async ValueTask InitializeAsync() => _server = await RedisServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
