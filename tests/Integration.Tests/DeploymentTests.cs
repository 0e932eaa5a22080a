using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using SkimGuard.Contracts;

namespace SkimGuard.Integration.Tests;

/// <summary>
/// docker-compose.yml cannot be run here (no Docker daemon), so it is checked: docker-compose itself validates it, and
/// every setting, topic and service it names must exist in the code.
/// </summary>
public sealed partial class DeploymentTests
{
    private static readonly string Root = RepositoryRoot();
    private static readonly string Compose = File.ReadAllText(Path.Combine(Root, "docker-compose.yml"));

    [Fact]
    public async Task DockerComposeValidatesTheFile()
    {
        var start = new ProcessStartInfo("docker-compose", ["-f", "docker-compose.yml", "config", "-q"])
        {
            WorkingDirectory = Root, RedirectStandardError = true, RedirectStandardOutput = true,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("docker-compose did not start (apt-get install docker-compose)");
        var error = await process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);

        Assert.True(process.ExitCode == 0, error);
    }

    [Fact]
    public void EverySettingTheFileGivesIsASettingOfItsService()
    {
        var settings = Setting().Matches(Compose).Select(m => m.Groups["path"].Value).ToList();
        Assert.NotEmpty(settings);
        var roots = new Dictionary<string, Type>
        {
            ["Detector"] = typeof(SkimGuard.Detector.DetectorOptions),
            ["Ingest"] = typeof(SkimGuard.Ingest.IngestOptions),
            ["Alerts"] = typeof(SkimGuard.Alerts.AlertsOptions),
        };
        foreach (var setting in settings)
        {
            var parts = setting.Split("__");
            Assert.True(roots.TryGetValue(parts[0], out var type), setting);
            Assert.True(Resolves(type!, parts[1..]), $"{setting} names no setting of {type!.Name}");
        }
    }

    [Fact]
    public void TheTopicsCreatedAreTheContractsTopicsAndTheServicesAndTargetsExist()
    {
        var created = TopicLoop().Match(Compose).Groups["topics"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Order();
        var contract = typeof(Topics).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).Order();
        Assert.Equal(contract, created);

        foreach (var service in new[] { "Ingest", "Detector", "Alerts", "Cli" })
        {
            var dockerfile = File.ReadAllText(Path.Combine(Root, "src", service, "Dockerfile"));
            Assert.Contains("USER $APP_UID", dockerfile, StringComparison.Ordinal);
            Assert.Contains($"src/{service}/{service}.csproj", dockerfile, StringComparison.Ordinal);
            if (service != "Cli")
                Assert.Contains("HEALTHCHECK", dockerfile, StringComparison.Ordinal);
        }
        var prometheus = File.ReadAllText(Path.Combine(Root, "deploy", "prometheus.yml"));
        foreach (var target in new[] { "ingest:9090", "alerts:8080", "names: [\"detector\"]" })
            Assert.Contains(target, prometheus, StringComparison.Ordinal);
        // Ingest's metrics are labelled by bank: Prometheus reads them on the management port, which is not published.
        Assert.Contains("Ingest__MetricsPort: \"9090\"", Compose, StringComparison.Ordinal);
        Assert.DoesNotContain("\"9090:9090\"", Compose.Split("  ingest:")[1].Split("\n\n")[0], StringComparison.Ordinal);
        foreach (var service in new[] { "kafka", "redis", "postgres", "ingest", "detector", "alerts", "prometheus", "grafana", "banks" })
            Assert.Matches($"(?m)^  {service}:$", Compose);
    }

    /// <summary>Follows Name__Name__… through the options' properties, dictionaries and lists.</summary>
    private static bool Resolves(Type type, string[] path)
    {
        if (path.Length == 0)
            return true;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>))
            return Resolves(type.GetGenericArguments()[1], path[1..]);
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            return int.TryParse(path[0], out _) && Resolves(type.GetGenericArguments()[0], path[1..]);
        var property = type.GetProperty(path[0], BindingFlags.Public | BindingFlags.Instance);
        return property is { CanWrite: true } && Resolves(property.PropertyType, path[1..]);
    }

    internal static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "docker-compose.yml")))
            folder = folder.Parent;
        return folder?.FullName ?? throw new InvalidOperationException("no docker-compose.yml above the test folder");
    }

    [GeneratedRegex(@"^\s+(?<path>(Detector|Ingest|Alerts)__[A-Za-z0-9_]+):", RegexOptions.Multiline)]
    private static partial Regex Setting();

    [GeneratedRegex(@"for topic in (?<topics>[a-z0-9.\- ]+);")]
    private static partial Regex TopicLoop();
}

/// <summary>docs/configuration.md lists every setting of every service.</summary>
public sealed class ConfigurationReferenceTests
{
    [Theory]
    [InlineData("Detector", typeof(SkimGuard.Detector.DetectorOptions))]
    [InlineData("Ingest", typeof(SkimGuard.Ingest.IngestOptions))]
    [InlineData("Alerts", typeof(SkimGuard.Alerts.AlertsOptions))]
    public void EverySettingIsInTheReference(string section, Type options)
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "docs", "configuration.md")))
            folder = folder.Parent;
        var reference = File.ReadAllText(Path.Combine(folder!.FullName, "docs", "configuration.md"));

        foreach (var property in options.GetProperties(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance).Where(p => p.CanWrite))
            Assert.Contains($"`{section}__{property.Name}", reference, StringComparison.Ordinal);
    }
}

/// <summary>A bad value stops each service at start with a message naming it.</summary>
public sealed class BadSettingsTests
{
    [Fact]
    public void IngestNamesEveryBadSetting()
    {
        var error = Assert.Throws<InvalidSettingsException>(() => SkimGuard.Ingest.IngestApp.Build([], o =>
        {
            o.TokenSecret = "short";
            o.MaxRecordsPerRequest = 0;
            o.Banks = new() { ["sbi"] = new SkimGuard.Ingest.BankAccess { ApiKeyHashes = ["not-a-hash"] } };
        }));

        Assert.Contains(error.Problems, p => p.StartsWith("Ingest:TokenSecret", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Ingest:MaxRecordsPerRequest", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Ingest:Banks:sbi", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AlertsNamesEveryBadSetting()
    {
        var error = await Assert.ThrowsAsync<InvalidSettingsException>(() => SkimGuard.Alerts.AlertsApp.BuildAsync([], o =>
        {
            o.Database = "oracle";
            o.SessionHours = 0;
            o.TileUrl = "ftp://tiles";
        }));

        Assert.Contains(error.Problems, p => p.StartsWith("Alerts:Database", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Alerts:SessionHours", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("Alerts:TileUrl", StringComparison.Ordinal));
    }
}
