using System.Diagnostics;
using System.Net;
using SkimGuard.TestSupport;

namespace SkimGuard.Integration.Tests;

/// <summary>
/// What a user who runs `dotnet publish src/Cli` gets: a `skimguard` that serves the dashboard from any working folder.
/// Its wwwroot was once left out of the publish, and every page was a 404 though the build output worked.
/// </summary>
public sealed class PublishedCliTests
{
    [Fact]
    public async Task ThePublishedDemoServesTheDashboardFromAnyWorkingFolder()
    {
        var published = Directory.CreateTempSubdirectory("skimguard-published-").FullName;
        var (publishCode, publishOutput) = await RunAsync("dotnet", DeploymentTests.RepositoryRoot(), TimeSpan.FromMinutes(8),
            "publish", "src/Cli", "-c", "Release", "-o", published, "--nologo", "-v", "q");
        Assert.True(publishCode == 0, publishOutput);

        var port = FreePort.Next();
        var start = new ProcessStartInfo(Path.Combine(published, "skimguard"))
        {
            WorkingDirectory = Directory.CreateTempSubdirectory("skimguard-elsewhere-").FullName, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var argument in new[] { "demo", "--days", "3", "--cards", "600", "--speed", "1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--ingest-port", FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", "demo" })
            start.ArgumentList.Add(argument);
        using var demo = Process.Start(start)!;
        _ = demo.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            while (await demo.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken) is { } line && !line.StartsWith("dashboard:", StringComparison.Ordinal))
            {
            }
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            var page = await http.GetAsync("/", TestContext.Current.CancellationToken);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("<title>SkimGuard", await page.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/app.js", TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/lib/leaflet/leaflet.js", TestContext.Current.CancellationToken)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alerts/ATM-MB-0001%4020260101T000000Z", TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            demo.Kill(entireProcessTree: true);
            await demo.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    private static async Task<(int Code, string Output)> RunAsync(string file, string folder, TimeSpan patience, params string[] arguments)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(patience);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await errors);
    }
}
