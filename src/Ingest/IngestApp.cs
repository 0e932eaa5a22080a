using System.Reflection;
using Confluent.Kafka;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;
using SkimGuard.Contracts;
using SkimGuard.Ingest.Api;
using SkimGuard.Ingest.Kafka;
using SkimGuard.Ingest.Observability;
using SkimGuard.Ingest.Records;
using SkimGuard.Kafka;

namespace SkimGuard.Ingest;

/// <summary>
/// Puts Ingest together: options (checked first), the producer, the intake shared by both paths, the HTTP API with its
/// OpenAPI document, the Kafka path, /metrics and /health. Program.cs runs it; tests and the demo build it in-process.
/// </summary>
public static class IngestApp
{
    /// <summary>
    /// Builds the service; throws <see cref="InvalidSettingsException"/> naming every bad setting. <paramref name="logging"/>
    /// lets a test add a log sink (to prove no card number reaches a log line).
    /// </summary>
    public static WebApplication Build(string[] args, Action<IngestOptions>? configure = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        logging?.Invoke(builder.Logging);
        var options = builder.Configuration.GetSection("Ingest").Get<IngestOptions>() ?? new IngestOptions();
        configure?.Invoke(options);
        if ((List<string>)[.. options.Problems(), .. KafkaClientSettings.From(builder.Configuration).Problems()] is { Count: > 0 } problems)
            throw new InvalidSettingsException(problems);

        builder.Services.AddSingleton(options);
        builder.Services.AddKafkaClients(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IngestMetrics>();
        builder.Services.AddSingleton<ApiKeys>();
        builder.Services.AddSingleton<FeedStatus>();
        builder.Services.AddSingleton(sp => new Deduplicator(TimeSpan.FromHours(options.DuplicateWindowHours), options.DuplicateCapacity, sp.GetRequiredService<TimeProvider>()));
        builder.Services.AddSingleton<RecordProducer>();
        builder.Services.AddSingleton<FeedIntake>();
        builder.Services.AddSingleton<FeedEndpoints>();
        if (options.KafkaPath)
            builder.Services.AddHostedService<IncomingForwarder>();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower);
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks().AddCheck<KafkaReachable>("kafka", tags: ["ready"]);

        var app = builder.Build();
        app.Use((context, next) =>
        {
            // An API's answers are data, never pages: not sniffed, not framed, no referrer, not cached on the way.
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'";
            headers["Referrer-Policy"] = "no-referrer";
            headers.CacheControl = "no-store";
            // The metrics are labelled by bank: only the management port, or this machine, may read them.
            if (context.Request.Path.StartsWithSegments("/metrics") && !MayReadMetrics(context, options))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        });
        app.MapOpenApi("/openapi/v1.json");
        FeedEndpoints.Map(app);
        app.MapGet("/v1/schemas/{name}", (string name) => Schema(name) is { } schema
                ? Results.Text(schema, "application/schema+json")
                : Results.NotFound(new Refusal(404, $"no schema '{name}'; there are {string.Join(", ", SchemaNames)}")))
            .WithSummary("The JSON Schema of a contract: transaction.v1, fraud-report.v1, atm-alert.v1, cards-at-risk.v1.");
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        app.MapMetrics(registry: app.Services.GetRequiredService<IngestMetrics>().Registry);
        return app;
    }

    private static IEnumerable<string> SchemaNames =>
        Assembly.GetExecutingAssembly().GetManifestResourceNames().Where(n => n.StartsWith("schemas/", StringComparison.Ordinal))
            .Select(n => n["schemas/".Length..].Replace(".schema.json", "", StringComparison.Ordinal)).Order();

    private static string? Schema(string name)
    {
        var file = name.EndsWith(".schema.json", StringComparison.Ordinal) ? name : $"{name}.schema.json";
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream($"schemas/{file}");
        return stream is null ? null : new StreamReader(stream).ReadToEnd();
    }

    /// <summary>Ready when the Kafka cluster answers a metadata request.</summary>
    private sealed class KafkaReachable(IngestOptions options, KafkaClients kafka) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                using var admin = kafka.Admin(options.BootstrapServers, "ingest");
                var metadata = admin.GetMetadata(TimeSpan.FromSeconds(2));
                return Task.FromResult(metadata.Brokers.Count > 0 ? HealthCheckResult.Healthy($"{metadata.Brokers.Count} brokers") : HealthCheckResult.Unhealthy("no brokers"));
            }
            catch (KafkaException e)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"Kafka unreachable: {e.Error.Reason}"));
            }
        }
    }

    /// <summary>
    /// Whether a request may read /metrics: on the management port when one is set (the local port, not the Host header,
    /// which a caller chooses), else from this machine only.
    /// </summary>
    private static bool MayReadMetrics(HttpContext context, IngestOptions options) =>
        options.MetricsPort is { } port ? context.Connection.LocalPort == port
        : context.Connection.RemoteIpAddress is { } address && System.Net.IPAddress.IsLoopback(address);
}
