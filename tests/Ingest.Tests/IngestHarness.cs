using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using SkimGuard.Ingest.Api;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

/// <summary>Ingest hosted in the test process on a free loopback port, with two banks, its log lines captured.</summary>
internal sealed class IngestHost : IAsyncDisposable
{
    public const string SbiKey = "sbi-key-2026-a", SbiRotatedKey = "sbi-key-2026-b", SbiRevokedKey = "sbi-key-2025", HdfcKey = "hdfc-key-1";
    public const string Secret = "test-token-secret-of-at-least-32-bytes!";

    private readonly WebApplication _app;

    private IngestHost(WebApplication app, TopicNames topics, CapturedLog log)
    {
        _app = app;
        Topics = topics;
        Log = log;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Http { get; }
    public TopicNames Topics { get; }
    public CapturedLog Log { get; }

    /// <summary>Starts Ingest on topics of its own, or on <paramref name="topics"/> (and their group) to restart one.</summary>
    /// <remarks>With <paramref name="managementPort"/>, it listens there too (the banks' port stays the first address).</remarks>
    public static async Task<IngestHost> StartAsync(string bootstrapServers, Action<IngestOptions>? configure = null, TopicNames? topics = null, int? managementPort = null)
    {
        topics ??= new TopicNames($"i{Guid.NewGuid():N}");
        var log = new CapturedLog();
        var urls = $"http://127.0.0.1:{FreePort.Next()}" + (managementPort is { } port ? $";http://127.0.0.1:{port}" : "");
        var app = IngestApp.Build(["--urls", urls], o =>
        {
            o.BootstrapServers = bootstrapServers;
            o.TransactionsTopic = topics.Transactions;
            o.FraudReportsTopic = topics.FraudReports;
            o.RejectedTopic = topics.Rejected;
            o.IncomingTopic = topics.Incoming;
            o.IncomingGroupId = topics.Prefix;
            o.KafkaPath = false;
            o.TokenSecret = Secret;
            o.Banks = new()
            {
                ["sbi"] = new BankAccess { ApiKeyHashes = [ApiKeys.HashOf(SbiKey), ApiKeys.HashOf(SbiRotatedKey)], RevokedKeyHashes = [ApiKeys.HashOf(SbiRevokedKey)] },
                ["hdfc"] = new BankAccess { ApiKeyHashes = [ApiKeys.HashOf(HdfcKey)] },
            };
            configure?.Invoke(o);
        }, logging => logging.AddProvider(log).SetMinimumLevel(LogLevel.Trace));
        await app.StartAsync();
        return new IngestHost(app, topics, log);
    }

    /// <summary>POSTs a body to a feed as the bank with <paramref name="apiKey"/>.</summary>
    public async Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, string? apiKey, byte[] body, string contentType = "application/x-ndjson", bool gzip = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path);
        if (apiKey is not null)
            request.Headers.Add("X-Api-Key", apiKey);
        var content = gzip ? Gzip(body) : body;
        request.Content = new ByteArrayContent(content);
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (gzip)
            request.Content.Headers.ContentEncoding.Add("gzip");
        var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Log.Responses.Enqueue(text);
        var json = text.Length > 0 && text.TrimStart().StartsWith('{') ? JsonDocument.Parse(text).RootElement.Clone() : default;
        return ((int)response.StatusCode, json, response);
    }

    public Task<(int Status, JsonElement Body, HttpResponseMessage Response)> PostAsync(string path, string? apiKey, string body, string contentType = "application/x-ndjson", bool gzip = false) =>
        PostAsync(path, apiKey, Encoding.UTF8.GetBytes(body), contentType, gzip);

    private static byte[] Gzip(byte[] body)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(buffer, System.IO.Compression.CompressionLevel.Fastest))
            gzip.Write(body);
        return buffer.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed record TopicNames(string Prefix)
{
    public string Transactions => $"{Prefix}.transactions";
    public string FraudReports => $"{Prefix}.fraud-reports";
    public string Rejected => $"{Prefix}.rejected";
    public string Incoming => $"{Prefix}.incoming";
}

/// <summary>Records for the tests: a valid transaction and report of a given bank, as JSON text.</summary>
internal static class Records
{
    public static readonly DateTimeOffset Now = DateTimeOffset.UtcNow.AddMinutes(-5);

    public static Dictionary<string, object?> Transaction(string id, string bank = "sbi") => new()
    {
        ["schema_version"] = 1, ["txn_id"] = id, ["bank_id"] = bank, ["card_token"] = "ct_" + new string('A', 43), ["terminal_id"] = "ATM-MB-0001",
        ["terminal_type"] = "atm", ["timestamp"] = Now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        ["amount_minor"] = 250000, ["currency"] = "INR", ["entry_mode"] = "chip", ["txn_type"] = "withdrawal", ["approved"] = true,
        ["country"] = "IN", ["lat"] = 19.3, ["lon"] = 72.85,
    };

    public static Dictionary<string, object?> Report(string id, string bank = "sbi") => new()
    {
        ["schema_version"] = 1, ["report_id"] = id, ["bank_id"] = bank, ["card_token"] = "ct_" + new string('B', 43),
        ["reported_at"] = Now.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture), ["fraud_type"] = "counterfeit",
    };

    public static string Json(Dictionary<string, object?> record) => JsonSerializer.Serialize(record);

    public static string Lines(IEnumerable<Dictionary<string, object?>> records) => string.Join('\n', records.Select(Json));
}
