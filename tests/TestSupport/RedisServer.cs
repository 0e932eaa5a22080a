using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace SkimGuard.TestSupport;

/// <summary>
/// A real redis-server (the Debian package) on a free loopback port, with append-only persistence in a temporary
/// folder so a test can restart it and find its data. Every write is synced before Redis answers (appendfsync
/// always), so a hard kill loses nothing a client was told is written. Never skipped: if the binary is missing the test fails and
/// says how to install it.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private string _appendFsync = "always";
    private readonly string _folder = Directory.CreateTempSubdirectory("skimguard-redis-").FullName;
    private Process? _process;

    public int Port { get; } = FreePort.Next();

    /// <summary>For StackExchange.Redis: "127.0.0.1:PORT".</summary>
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <summary>
    /// Starts a server with AOF on. Tests sync every write ("always": a kill loses nothing acknowledged); benchmarks pass
    /// "everysec", Redis's default and the deployment's setting.
    /// </summary>
    public static async Task<RedisServer> StartAsync(string appendFsync = "always")
    {
        var server = new RedisServer { _appendFsync = appendFsync };
        await server.StartProcessAsync();
        return server;
    }

    /// <summary>Stops the server hard (SIGKILL, as a crash would) and starts it again on the same port and data, after <paramref name="downFor"/>.</summary>
    public async Task RestartAsync(TimeSpan downFor = default)
    {
        Kill();
        await Task.Delay(downFor);
        await StartProcessAsync();
    }

    private async Task StartProcessAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            ArgumentList = { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--dir", _folder, "--save", "", "--appendonly", "yes", "--appendfsync", _appendFsync, "--protected-mode", "yes" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        try
        {
            _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException("redis-server is not installed: apt-get install -y redis-server", ex);
        }
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await WaitUntilReadyAsync();
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            if (_process!.HasExited)
                throw new InvalidOperationException($"redis-server exited with code {_process.ExitCode}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", Port);
                var stream = client.GetStream();
                await stream.WriteAsync("PING\r\n"u8.ToArray());
                var buffer = new byte[64];
                var read = await stream.ReadAsync(buffer);
                // While it loads the append-only file Redis answers -LOADING; wait for +PONG.
                if (Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal))
                    return;
            }
            catch (SocketException)
            {
                // not listening yet
            }
            await Task.Delay(50);
        }
        throw new TimeoutException($"redis-server did not answer PING on port {Port} within 20 s");
    }

    private void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit();
        }
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // a temp folder left behind is harmless
        }
        return ValueTask.CompletedTask;
    }
}
