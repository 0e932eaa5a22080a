using System.Net.Http.Json;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Npgsql;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.TestSupport;

namespace SkimGuard.Alerts.Tests;

/// <summary>The alerts service in the test process on a free loopback port, on SQLite (a temp file) or PostgreSQL.</summary>
internal sealed class AlertsHost : IAsyncDisposable
{
    public const string AdminPassword = "admin-password-for-tests";

    private readonly WebApplication _app;

    private AlertsHost(WebApplication app, Topics topics)
    {
        _app = app;
        Topics = topics;
    }

    public Topics Topics { get; }

    public Uri BaseAddress => new(_app.Urls.First());

    /// <summary>A database for one test: a new SQLite file, or a new database on the PostgreSQL server.</summary>
    public static async Task<(string Kind, string ConnectionString)> NewDatabaseAsync(string kind, PostgresFixture postgres)
    {
        if (kind == "sqlite")
            return (kind, $"Data Source={Path.Combine(Path.GetTempPath(), $"alerts-{Guid.NewGuid():N}.db")}");
        var name = $"alerts_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(postgres.Server.ConnectionString());
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return (kind, postgres.Server.ConnectionString(name));
    }

    /// <summary>Starts a replica; replicas given the same topics and <paramref name="groupId"/> share the work as a deployment's do.</summary>
    public static async Task<AlertsHost> StartAsync(string bootstrapServers, (string Kind, string ConnectionString) database, Topics? topics = null, string? registryPath = null,
        string? groupId = null, Action<AlertsOptions>? configure = null)
    {
        topics ??= new Topics($"a{Guid.NewGuid():N}");
        var app = await AlertsApp.BuildAsync(["--urls", $"http://127.0.0.1:{FreePort.Next()}", "--Logging:LogLevel:Default", "Warning"], o =>
        {
            o.BootstrapServers = bootstrapServers;
            o.GroupId = groupId ?? topics.Prefix + Guid.NewGuid().ToString("N")[..6];
            o.AlertsTopic = topics.Alerts;
            o.CardsAtRiskTopic = topics.CardsAtRisk;
            o.RejectedTopic = topics.Rejected;
            o.Database = database.Kind;
            o.ConnectionString = database.ConnectionString;
            o.AdminPassword = AdminPassword;
            o.AtmRegistryPath = registryPath;
            o.WebhookAllowedNetworks = ["127.0.0.0/8"]; // the tests' subscribers listen on loopback
            configure?.Invoke(o);
        });
        await app.StartAsync();
        return new AlertsHost(app, topics);
    }

    /// <summary>An HTTP client signed in as the user (its own cookie jar).</summary>
    public async Task<HttpClient> SignInAsync(string name, string password)
    {
        var client = new HttpClient(new HttpClientHandler { UseCookies = true }) { BaseAddress = BaseAddress };
        var response = await client.PostAsJsonAsync("/api/login", new { name, password });
        response.EnsureSuccessStatusCode();
        return client;
    }

    public Task<HttpClient> AdminAsync() => SignInAsync("admin", AdminPassword);

    /// <summary>Creates a user through the admin API and signs in as it.</summary>
    public async Task<HttpClient> UserAsync(string name, string role, string? bankId = null)
    {
        using var admin = await AdminAsync();
        (await admin.PostAsJsonAsync("/api/users", new { name, password = "password-of-" + name, role, bank_id = bankId })).EnsureSuccessStatusCode();
        return await SignInAsync(name, "password-of-" + name);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record Topics(string Prefix)
{
    public string Alerts => $"{Prefix}.atm-alerts";
    public string CardsAtRisk => $"{Prefix}.cards-at-risk";
    public string Rejected => $"{Prefix}.rejected";
}

/// <summary>Alert states and at-risk lists as the detector produces them.</summary>
internal static class Feed
{
    public static readonly DateTimeOffset T0 = new(2026, 3, 10, 6, 0, 0, TimeSpan.Zero);

    public static AtmAlert Alert(string terminal, double k = 5, int n = 40, int hoursLater = 0, string locality = "Bhayander West", string bank = "sbi") => new()
    {
        AlertId = $"{terminal}@20260310T060000Z", TerminalId = terminal, TerminalType = TerminalType.Atm, Status = hoursLater == 0 ? AlertStatus.Raised : AlertStatus.Updated,
        Location = new TerminalLocation { Name = $"{bank} ATM {terminal}", Locality = locality, BankId = bank, Lat = 19.30, Lon = 72.85 },
        Score = 8 + k / 10, PValue = 1e-8 / (1 + k), CompromisedCards = k, ExposedCards = n, Expected = 0.1, WindowFrom = T0.AddDays(-20), WindowTo = T0.AddDays(-15),
        CardsAtRisk = n - (int)k, FirstFlaggedAt = T0, UpdatedAt = T0.AddHours(hoursLater), ModelVersion = "none",
        Evidence = [new CompromiseEvidence { CardToken = "ct_evidence_sbi_1", BankId = "sbi", VisitedAt = T0.AddDays(-18), Signal = "fraud_report", FraudType = FraudType.Counterfeit, Weight = 1, FirstFraudAt = T0.AddDays(-2), CashoutTerminalId = "ATM-DEL-9", CashoutCountry = "IN" },
                    new CompromiseEvidence { CardToken = "ct_evidence_hdfc_1", BankId = "hdfc", VisitedAt = T0.AddDays(-17), Signal = "fraud_report", FraudType = FraudType.Counterfeit, Weight = 1, FirstFraudAt = T0.AddDays(-1) }],
    };

    public static CardsAtRisk Cards(AtmAlert alert, string bank, params string[] tokens) => new()
    {
        AlertId = alert.AlertId, TerminalId = alert.TerminalId, BankId = bank, IssuedAt = alert.UpdatedAt, WindowFrom = alert.WindowFrom, WindowTo = alert.WindowTo, CardTokens = tokens,
    };

    public static async Task ProduceAsync(string bootstrapServers, Topics topics, IEnumerable<AtmAlert> alerts, IEnumerable<CardsAtRisk> cards)
    {
        using var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = bootstrapServers, EnableIdempotence = true, Acks = Acks.All }).Build();
        foreach (var alert in alerts)
            await producer.ProduceAsync(topics.Alerts, new Message<string, byte[]> { Key = alert.TerminalId, Value = JsonSerializer.SerializeToUtf8Bytes(alert, ContractsJsonContext.Default.AtmAlert) });
        foreach (var list in cards)
            await producer.ProduceAsync(topics.CardsAtRisk, new Message<string, byte[]> { Key = list.BankId, Value = JsonSerializer.SerializeToUtf8Bytes(list, ContractsJsonContext.Default.CardsAtRisk) });
    }

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited 60 s for {what}");
            await Task.Delay(100);
        }
    }
}
