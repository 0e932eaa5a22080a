using System.Diagnostics;

namespace SkimGuard.TestSupport;

/// <summary>
/// A real PostgreSQL server (the machine's postgres binaries) on a free loopback port and a data folder of its own,
/// run as the postgres user (it refuses to run as root). Trust authentication on loopback: tests only.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private readonly string _folder;

    private PostgresServer(string folder, int port)
    {
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Npgsql connection string to a database of this server.</summary>
    public string ConnectionString(string database = "postgres") => $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false";

    public static async Task<PostgresServer> StartAsync()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"skimguard-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        var asRoot = Environment.UserName == "root";
        if (asRoot)
            await RunAsync("chown", "postgres", folder);
        var data = Path.Combine(folder, "data");
        await RunAsPostgresAsync(asRoot, "initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync");
        var port = FreePort.Next();
        await RunAsPostgresAsync(asRoot, "pg_ctl", "-D", data, "-l", Path.Combine(folder, "log"), "-w", "-t", "60",
            "-o", $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start");
        return new PostgresServer(folder, port);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await RunAsPostgresAsync(Environment.UserName == "root", "pg_ctl", "-D", Path.Combine(_folder, "data"), "-m", "immediate", "stop");
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static Task RunAsPostgresAsync(bool asRoot, string program, params string[] args) =>
        asRoot ? RunAsync("runuser", ["-u", "postgres", "--", program, .. args]) : RunAsync(program, args);

    private static async Task RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{program} exited with {process.ExitCode}: {await error}{await output}");
    }
}

/// <summary>An xUnit fixture owning one <see cref="PostgresServer"/>.</summary>
public sealed class PostgresFixture : Xunit.IAsyncLifetime
{
    private PostgresServer? _server;

    public PostgresServer Server => _server ?? throw new InvalidOperationException("the fixture is not started");

    public async ValueTask InitializeAsync() => _server = await PostgresServer.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
    }
}
