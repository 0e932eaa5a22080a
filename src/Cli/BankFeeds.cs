using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Simulator;

namespace SkimGuard.Cli;

/// <summary>
/// A simulated town's records as its banks send them to Ingest: collected from the simulation, kept in event-time order
/// (nothing from the future: Ingest refuses what has not happened yet), and posted as JSON lines, one request per bank
/// and kind, each with the bank's own API key. Used by `skimguard push` and `skimguard demo`.
/// </summary>
internal sealed class BankFeeds : ISimulationSink
{
    private readonly List<BankRecord> _records = [];

    /// <summary>The records up to now, oldest first.</summary>
    public List<BankRecord> InEventTimeOrder()
    {
        var now = DateTimeOffset.UtcNow;
        return [.. _records.Where(r => r.Time <= now).OrderBy(r => r.Time)];
    }

    public void Transaction(Transaction transaction) =>
        _records.Add(new BankRecord(transaction.Timestamp, transaction.BankId, false, JsonSerializer.Serialize(transaction, ContractsJsonContext.Default.Transaction)));

    public void FraudReport(FraudReport report) =>
        _records.Add(new BankRecord(report.ReportedAt, report.BankId, true, JsonSerializer.Serialize(report, ContractsJsonContext.Default.FraudReport)));

    /// <summary>
    /// Posts records to Ingest, one request per bank and kind; returns the records accepted and rejected, or throws
    /// <see cref="HttpRequestException"/> naming the bank when Ingest refuses a request whole.
    /// </summary>
    public static async Task<(long Accepted, long Rejected)> SendAsync(HttpClient ingest, string keyPrefix, IEnumerable<BankRecord> records, CancellationToken cancellationToken)
    {
        var (accepted, rejected) = (0L, 0L);
        foreach (var group in records.GroupBy(r => (r.Bank, r.IsReport)))
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(string.Join('\n', group.Select(r => r.Json))));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            using var request = new HttpRequestMessage(HttpMethod.Post, group.Key.IsReport ? "/v1/fraud-reports" : "/v1/transactions") { Content = content };
            request.Headers.Add("X-Api-Key", keyPrefix + group.Key.Bank);
            using var response = await ingest.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new HttpRequestException($"Ingest answered {(int)response.StatusCode} for {group.Key.Bank}: {body}");
            using var answer = JsonDocument.Parse(body);
            accepted += answer.RootElement.GetProperty("accepted").GetInt64();
            rejected += answer.RootElement.GetProperty("rejected").GetInt64();
        }
        return (accepted, rejected);
    }
}

/// <summary>One record of a bank's feed: when it happens, whose it is, which kind, its JSON.</summary>
internal sealed record BankRecord(DateTimeOffset Time, string Bank, bool IsReport, string Json);
