using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;

namespace SkimGuard.Ingest;

/// <summary>
/// Ingest's settings, from the "Ingest" configuration section (environment: Ingest__BootstrapServers and so on).
/// <see cref="Problems"/> names every bad value; the service refuses to start while there is one.
/// </summary>
public sealed class IngestOptions
{
    /// <summary>Kafka bootstrap servers.</summary>
    public string BootstrapServers { get; set; } = "localhost:9092";

    /// <summary>Where accepted transactions go (key: card token).</summary>
    public string TransactionsTopic { get; set; } = Topics.Transactions;

    /// <summary>Where accepted fraud reports go (key: card token).</summary>
    public string FraudReportsTopic { get; set; } = Topics.FraudReports;

    /// <summary>Where records that fail validation on the Kafka path go.</summary>
    public string RejectedTopic { get; set; } = Topics.Rejected;

    /// <summary>The topic banks produce to directly.</summary>
    public string IncomingTopic { get; set; } = Topics.Incoming;

    /// <summary>Whether to forward <see cref="IncomingTopic"/> (the Kafka path for banks).</summary>
    public bool KafkaPath { get; set; } = true;

    /// <summary>Consumer group of the Kafka path.</summary>
    public string IncomingGroupId { get; set; } = "skimguard-ingest";

    /// <summary>
    /// The deployment's card-token secret (at least 32 bytes of text): HMAC key of the PAN tokens. The same secret
    /// everywhere a PAN may arrive, or the same card gets two tokens.
    /// </summary>
    public string TokenSecret { get; set; } = "";

    /// <summary>The partner banks, by bank id: the SHA-256 hashes (hex) of their API keys.</summary>
    public Dictionary<string, BankAccess> Banks { get; set; } = [];

    /// <summary>Largest request body, in bytes, as sent (413 beyond).</summary>
    public long MaxBodyBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Largest body once a gzip body is unpacked, in bytes (413 beyond).</summary>
    public long MaxUnpackedBytes { get; set; } = 128 * 1024 * 1024;

    /// <summary>Most records in one request (413 beyond).</summary>
    public int MaxRecordsPerRequest { get; set; } = 50_000;

    /// <summary>Requests per second a bank may make, on average (429 beyond, with Retry-After).</summary>
    public int RequestsPerSecondPerBank { get; set; } = 50;

    /// <summary>A record with a bank and id already accepted within this many hours counts as a duplicate.</summary>
    public int DuplicateWindowHours { get; set; } = 168;

    /// <summary>Most record ids remembered for duplicates; the oldest are forgotten first beyond it.</summary>
    public int DuplicateCapacity { get; set; } = 20_000_000;

    /// <summary>How long Kafka may take to acknowledge a record before the request fails with 503.</summary>
    public int DeliveryTimeoutMs { get; set; } = 10_000;

    /// <summary>
    /// The management port: /metrics answers only on it (a port docker-compose does not publish), and, without it, only to
    /// callers on this machine. Its counters are labelled by bank: on the banks' port, any bank could read the others'
    /// volumes. The service must listen on it too (Urls, e.g. "http://+:8080;http://+:9090").
    /// </summary>
    public int? MetricsPort { get; set; }

    /// <summary>Every bad value, named with its setting; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Require(bool ok, string problem)
        {
            if (!ok)
                problems.Add(problem);
        }
        Require(!string.IsNullOrWhiteSpace(BootstrapServers), "Ingest:BootstrapServers is empty");
        foreach (var (name, topic) in new[] { ("TransactionsTopic", TransactionsTopic), ("FraudReportsTopic", FraudReportsTopic), ("RejectedTopic", RejectedTopic), ("IncomingTopic", IncomingTopic) })
            Require(!string.IsNullOrWhiteSpace(topic) && topic.Length <= 249 && topic.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'),
                $"Ingest:{name} '{topic}' is not a Kafka topic name (letters, digits, '.', '_', '-'; at most 249)");
        Require(System.Text.Encoding.UTF8.GetByteCount(TokenSecret) >= CardTokenizer.MinSecretBytes,
            $"Ingest:TokenSecret must be at least {CardTokenizer.MinSecretBytes} bytes (the card-token HMAC key)");
        Require(Banks.Count > 0, "Ingest:Banks is empty: no bank could send anything");
        foreach (var (bank, access) in Banks)
        {
            Require(BankIdOk(bank), $"Ingest:Banks:{bank}: a bank id is 1 to 64 letters, digits, '-' or '_'");
            Require(access.ApiKeyHashes.Count > 0, $"Ingest:Banks:{bank}:ApiKeyHashes is empty");
            foreach (var hash in access.ApiKeyHashes.Concat(access.RevokedKeyHashes))
                Require(hash.Length == 64 && hash.All(char.IsAsciiHexDigit), $"Ingest:Banks:{bank}: '{hash}' is not a SHA-256 hash in hex (64 characters)");
        }
        Require(MaxBodyBytes is >= 1024 and <= 1L << 31, "Ingest:MaxBodyBytes must be from 1024 to 2147483648");
        Require(MaxUnpackedBytes >= MaxBodyBytes, "Ingest:MaxUnpackedBytes must be at least Ingest:MaxBodyBytes");
        Require(MaxRecordsPerRequest is >= 1 and <= 1_000_000, "Ingest:MaxRecordsPerRequest must be from 1 to 1000000");
        Require(RequestsPerSecondPerBank is >= 1 and <= 100_000, "Ingest:RequestsPerSecondPerBank must be from 1 to 100000");
        Require(DuplicateWindowHours is >= 0 and <= 24 * 90, "Ingest:DuplicateWindowHours must be from 0 to 2160");
        Require(DuplicateCapacity is >= 1000, "Ingest:DuplicateCapacity must be at least 1000");
        Require(DeliveryTimeoutMs is >= 1000 and <= 300_000, "Ingest:DeliveryTimeoutMs must be from 1000 to 300000");
        return problems;
    }

    private static bool BankIdOk(string bank) => bank.Length is >= 1 and <= 64 && bank.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}

/// <summary>One bank's credentials.</summary>
public sealed class BankAccess
{
    /// <summary>SHA-256 (hex) of each API key the bank may use; several, so keys can be rotated without a gap.</summary>
    public List<string> ApiKeyHashes { get; set; } = [];

    /// <summary>Hashes of keys withdrawn: refused with a message saying so, rather than as unknown.</summary>
    public List<string> RevokedKeyHashes { get; set; } = [];
}
