using Prometheus;
using SkimGuard.Kafka;
using SkimGuard.Alerts.Api;
using SkimGuard.Alerts.Consuming;
using SkimGuard.Alerts.Security;
using SkimGuard.Alerts.Store;
using SkimGuard.Contracts;

namespace SkimGuard.Alerts;

/// <summary>
/// Puts the alerts service together: options (checked first), the database (tables created, the first administrator
/// made when there is no user), the topic consumer, the REST API with its OpenAPI document, /metrics and /health.
/// </summary>
public static class AlertsApp
{
    /// <summary>
    /// Builds the service; throws <see cref="InvalidSettingsException"/> naming every bad setting. <paramref name="logging"/>
    /// lets a test add a log sink (to prove no card number reaches a log line).
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<AlertsOptions>? configure = null, Action<ILoggingBuilder>? logging = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot") });
        logging?.Invoke(builder.Logging);
        var options = builder.Configuration.GetSection("Alerts").Get<AlertsOptions>() ?? new AlertsOptions();
        configure?.Invoke(options);
        if ((List<string>)[.. options.Problems(), .. KafkaClientSettings.From(builder.Configuration).Problems()] is { Count: > 0 } problems)
            throw new InvalidSettingsException(problems);

        var store = new AlertStore(new Database(options.Database, options.ConnectionString), TimeProvider.System);
        await store.InitializeAsync();
        var users = new Users(store, TimeProvider.System);
        if (!await users.AnyAsync())
        {
            if (options.AdminPassword is null)
                throw new InvalidSettingsException(["Alerts:AdminPassword is required to create the first administrator (there is no user yet)"]);
            await users.CreateAsync(options.AdminUser, options.AdminPassword, Roles.Admin, null);
        }

        builder.Services.AddSingleton(options);
        builder.Services.AddKafkaClients(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(users);
        builder.Services.AddSingleton<AlertEvents>();
        builder.Services.AddSingleton(options.AtmRegistryPath is { } atms ? SkimGuard.Contracts.Registry.AtmRegistry.Load(atms) : SkimGuard.Contracts.Registry.AtmRegistry.Empty);
        if (options.Consume)
            builder.Services.AddHostedService<AlertFeedConsumer>();
        builder.Services.AddSingleton<SkimGuard.Alerts.Webhooks.WebhookTargets>();
        builder.Services.AddHttpClient("webhooks", client => client.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
            {
                ConnectCallback = services.GetRequiredService<SkimGuard.Alerts.Webhooks.WebhookTargets>().ConnectAsync,
                AllowAutoRedirect = false, // a redirect could lead inside; the subscriber's own address is the only target
            });
        builder.Services.AddSingleton<SkimGuard.Alerts.Webhooks.WebhookSubscriptions>();
        builder.Services.AddHostedService<SkimGuard.Alerts.Webhooks.WebhookDispatcher>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter()); // the wire words of the enums
        });
        builder.Services.AddOpenApi();
        builder.Services.AddHealthChecks();

        builder.Services.AddSingleton<LoginThrottle>();
        builder.Services.Configure<Microsoft.AspNetCore.Builder.ForwardedHeadersOptions>(forwarded =>
        {
            // Believed only from the configured proxies: anyone else could claim https or another address.
            forwarded.ForwardedHeaders = Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedFor | Microsoft.AspNetCore.HttpOverrides.ForwardedHeaders.XForwardedProto;
            forwarded.KnownProxies.Clear();
            forwarded.KnownIPNetworks.Clear();
            foreach (var proxy in options.TrustedProxies)
                forwarded.KnownProxies.Add(System.Net.IPAddress.Parse(proxy));
        });

        var app = builder.Build();
        // With no proxy configured the middleware is left out: given empty lists it would believe everyone.
        if (options.TrustedProxies.Count > 0)
            app.UseForwardedHeaders();
        SecurityHeaders.Use(app, options);
        SameOriginGuard.Use(app);
        // The centre's dashboard: static files served by this service, Leaflet vendored, nothing from the internet.
        app.UseDefaultFiles();
        app.UseStaticFiles();
        // Each alert has its own address (a link an officer can send, a page that survives a reload): the dashboard's page,
        // which opens the alert named in the path.
        app.MapGet("/alerts/{id}", (IWebHostEnvironment web) => TypedResults.PhysicalFile(Path.Combine(web.WebRootPath, "index.html"), "text/html; charset=utf-8"))
            .ExcludeFromDescription();
        app.MapOpenApi("/openapi/v1.json");
        AlertEndpoints.Map(app);
        app.MapHealthChecks("/health/live");
        app.MapHealthChecks("/health/ready");
        app.MapMetrics();
        return app;
    }
}
