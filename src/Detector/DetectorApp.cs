using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Prometheus;
using SkimGuard.Contracts.Registry;
using SkimGuard.Contracts;
using SkimGuard.Detector.Consuming;
using SkimGuard.Detector.Observability;
using SkimGuard.Kafka;

namespace SkimGuard.Detector;

/// <summary>
/// Puts the detector service together: options (checked before anything starts), the window store, the consume loop,
/// and the HTTP endpoints /metrics, /health/live and /health/ready. Program.cs runs it; tests and the demo build it
/// in-process with their own settings.
/// </summary>
public static class DetectorApp
{
    /// <summary>
    /// Builds the service from the command line and configuration ("Detector" section, environment Detector__*).
    /// <paramref name="configure"/> lets a test or the demo set options in code; <paramref name="logging"/> lets a test
    /// add a log sink (to prove no card number reaches a log line). Throws
    /// <see cref="InvalidSettingsException"/> naming every bad setting.
    /// </summary>
    public static WebApplication Build(string[] args, Action<DetectorOptions>? configure = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        logging?.Invoke(builder.Logging);
        var options = builder.Configuration.GetSection("Detector").Get<DetectorOptions>() ?? new DetectorOptions();
        configure?.Invoke(options);
        if ((List<string>)[.. options.Problems(), .. KafkaClientSettings.From(builder.Configuration).Problems()] is { Count: > 0 } problems)
            throw new InvalidSettingsException(problems);

        builder.Services.AddSingleton(options);
        builder.Services.AddKafkaClients(builder.Configuration);
        builder.Services.AddSingleton(options.AtmRegistryPath is { } path ? AtmRegistry.Load(path) : AtmRegistry.Empty);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<DetectorMetrics>();
        builder.Services.AddSingleton<Readiness>();
        builder.Services.AddSingleton<WindowStores>();
        builder.Services.AddSingleton<ModelScoring>();
        builder.Services.AddHostedService<DetectorWorker>();
        builder.Services.AddHealthChecks().AddCheck<Readiness>("ready", tags: ["ready"]);

        var app = builder.Build();
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapMetrics(registry: app.Services.GetRequiredService<DetectorMetrics>().Registry);
        return app;
    }
}
