using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using SkimGuard.Detector.Observability;
using SkimGuard.TestSupport;

namespace SkimGuard.Detector.Tests;

/// <summary>A detector hosted in the test process, on a free loopback port.</summary>
internal sealed class InProcessDetector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InProcessDetector(WebApplication app) => _app = app;

    public static async Task<InProcessDetector> StartAsync(Action<DetectorOptions> configure)
    {
        var app = DetectorApp.Build(["--urls", $"http://127.0.0.1:{FreePort.Next()}", "--Logging:LogLevel:Default", Environment.GetEnvironmentVariable("DETECTOR_TEST_LOG") ?? "Warning",
            // Lag from librdkafka statistics each second, not the default 5 s, so that the tests need not wait for it.
            "--Kafka:Client:statistics.interval.ms", "1000"], configure);
        await app.StartAsync();
        return new InProcessDetector(app);
    }

    public DetectorMetrics Metrics => _app.Services.GetRequiredService<DetectorMetrics>();

    public Readiness Readiness => _app.Services.GetRequiredService<Readiness>();

    public Uri BaseAddress => new(_app.Urls.First());

    /// <summary>Events applied or found applied before, over both topics.</summary>
    public double Handled => Sum(Metrics.Processed) + Sum(Metrics.Duplicates);

    public double Rejected => Sum(Metrics.Rejected);

    public double Consumed => Sum(Metrics.Consumed);

    public bool CaughtUp => Metrics.CaughtUp.Value == 1;

    /// <summary>Batches applied of at most <paramref name="events"/> events, and of any size, from the detector's histogram.</summary>
    public async Task<(double AtMost, double All)> BatchesAsync(int events)
    {
        using var text = new MemoryStream();
        await Metrics.Registry.CollectAndExportAsTextAsync(text);
        var lines = System.Text.Encoding.UTF8.GetString(text.ToArray()).Split('\n');
        double Value(string prefix) => double.Parse(lines.Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..], CultureInfo.InvariantCulture);
        return (Value($"skimguard_detector_batch_events_bucket{{le=\"{events}\"}} "), Value("skimguard_detector_batch_events_count "));
    }

    /// <summary>Where the detector stands, for a failed wait's message.</summary>
    public override string ToString() =>
        $"consumed {Consumed}, handled {Handled}, rejected {Rejected}, held {Metrics.Held.Value}, caught up {CaughtUp}, " +
        $"partitions {Readiness.AssignedPartitions}, failures {Metrics.Failures.Value}";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static double Sum(Prometheus.Counter counter) =>
        counter.GetAllLabelValues().Sum(labels => counter.WithLabels(labels).Value);
}

/// <summary>
/// The detector as its own process (the built SkimGuard.Detector next to the tests), configured by environment
/// variables, so that a test can kill it hard mid-batch.
/// </summary>
internal sealed partial class DetectorProcess : IDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly System.Text.StringBuilder _output = new();

    private DetectorProcess(Process process, int port)
    {
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public string Output
    {
        get
        {
            lock (_output)
                return _output.ToString();
        }
    }

    public static DetectorProcess Start(IEnumerable<(string Name, string Value)> settings)
    {
        var port = FreePort.Next();
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "SkimGuard.Detector"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var (name, value) in settings)
            start.Environment[name] = value;
        var process = Process.Start(start)!;
        var detector = new DetectorProcess(process, port);
        process.OutputDataReceived += (_, e) => detector.Append(e.Data);
        process.ErrorDataReceived += (_, e) => detector.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return detector;
    }

    /// <summary>The metric's value summed over its labels, from /metrics; 0 while the process is not answering yet.</summary>
    public async Task<double> MetricAsync(string name)
    {
        try
        {
            var text = await _http.GetStringAsync("/metrics");
            return MetricLine().Matches(text).Where(m => m.Groups["name"].Value == name)
                .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));
        }
        catch (HttpRequestException)
        {
            return 0;
        }
        catch (TaskCanceledException)
        {
            return 0;
        }
    }

    public async Task<double> HandledAsync() =>
        await MetricAsync("skimguard_detector_processed_total") + await MetricAsync("skimguard_detector_duplicates_total");

    /// <summary>SIGKILL: no shutdown, no offset commit, whatever batch is in flight is cut where it stands.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            Kill();
        _process.Dispose();
        _http.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
            return;
        lock (_output)
            _output.AppendLine(line);
    }

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{[^}]*\})? (?<value>[0-9.eE+-]+)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();
}

internal static class Wait
{
    /// <summary>Polls until the condition holds; fails the test with <paramref name="what"/> after the timeout.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:F0} s waiting for {what}; {state?.Invoke()}");
            await Task.Delay(100);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? state = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, state);
}
