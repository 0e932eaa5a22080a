using System.Diagnostics;
using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Json;
using SkimGuard.Contracts.Validation;
using SkimGuard.Ingest.Kafka;
using SkimGuard.Ingest.Observability;

namespace SkimGuard.Ingest.Records;

/// <summary>What a feed carries.</summary>
public enum RecordKind
{
    /// <summary>Card transactions.</summary>
    Transaction,

    /// <summary>Confirmed-fraud reports.</summary>
    FraudReport,
}

/// <summary>
/// Takes in a bank's records, from either path: validates each with the contract readers (a PAN tokenised and dropped,
/// the bank taken from the credentials), drops duplicates, and sends the rest to Kafka, waiting for every
/// acknowledgement. When Kafka fails, the request's ids are given back so that its retry is accepted whole.
/// </summary>
public sealed partial class FeedIntake(IngestOptions options, RecordProducer producer, Deduplicator duplicates, FeedStatus status, IngestMetrics metrics, TimeProvider clock,
    ILogger<FeedIntake> logger)
{
    /// <summary>Errors listed in one response; the counts still cover every record.</summary>
    public const int MaxListedErrors = 1000;

    private readonly CardTokenizer _tokenizer = CardTokenizer.FromSecretText(options.TokenSecret);

    /// <summary>How the readers see a record sent by this bank.</summary>
    public ReadContext ContextFor(string bankId) => new() { AuthenticatedBankId = bankId, Tokenizer = _tokenizer, Clock = clock };

    /// <summary>The topic a kind of record goes to.</summary>
    public string TopicOf(RecordKind kind) => kind == RecordKind.Transaction ? options.TransactionsTopic : options.FraudReportsTopic;

    /// <summary>
    /// Reads one record: the normalised, tokenised message to forward, or every problem. Never throws: a failure no rule
    /// foresaw rejects this record alone, so one message can neither stop the Kafka path nor fail a whole request.
    /// </summary>
    public Validated Validate(RecordKind kind, ReadOnlyMemory<byte> json, ReadContext context)
    {
        try
        {
            return Read(kind, json, context);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogUnreadable(e.GetType().Name);
            return new Validated(null, null, null, null, [new ValidationProblem("$", "object", ProblemCodes.Unreadable, "the record could not be read")], []);
        }
    }

    private static Validated Read(RecordKind kind, ReadOnlyMemory<byte> json, ReadContext context)
    {
        if (kind == RecordKind.Transaction)
        {
            var read = TransactionReader.Read(json, context);
            return read.Record is { } tx
                ? new Validated(tx.TxnId, tx.CardToken, JsonSerializer.SerializeToUtf8Bytes(tx, ContractsJsonContext.Default.Transaction), tx.Timestamp, [], read.Warnings)
                : new Validated(IdOf(json, "txn_id"), null, null, null, read.Problems, read.Warnings);
        }
        var report = FraudReportReader.Read(json, context);
        return report.Record is { } r
            ? new Validated(r.ReportId, r.CardToken, JsonSerializer.SerializeToUtf8Bytes(r, ContractsJsonContext.Default.FraudReport), r.ReportedAt, [], report.Warnings)
            : new Validated(IdOf(json, "report_id"), null, null, null, report.Problems, report.Warnings);
    }

    /// <summary>Validates, deduplicates and sends a request's records; throws <see cref="KafkaUnavailableException"/> when Kafka does not acknowledge them.</summary>
    public async Task<IngestResponse> AcceptAsync(string bankId, RecordKind kind, IReadOnlyList<RawRecord> records)
    {
        var context = ContextFor(bankId);
        var errors = new List<RecordError>();
        var warnings = new List<RecordError>();
        var rejectedCodes = new List<string>();
        var valid = new List<(RawRecord Raw, Validated Record)>(records.Count);
        foreach (var raw in records)
        {
            var result = raw.Problem is { } cut ? new Validated(null, null, null, null, [cut], []) : Validate(kind, raw.Json, context);
            if (warnings.Count < MaxListedErrors)
                warnings.AddRange(result.Warnings.Select(p => new RecordError(raw.Line, raw.Element, result.Id, p.Field, p.Code, p.Reason)));
            if (result.Message is null)
            {
                rejectedCodes.Add(result.Problems[0].Code);
                if (errors.Count < MaxListedErrors)
                    errors.AddRange(result.Problems.Select(p => new RecordError(raw.Line, raw.Element, result.Id, p.Field, p.Code, p.Reason)));
                continue;
            }
            valid.Add((raw, result));
        }

        var kindCode = kind == RecordKind.Transaction ? 't' : 'r';
        var fresh = duplicates.Claim(kindCode, bankId, [.. valid.Select(v => v.Record.Id!)]);
        var sending = valid.Where((_, i) => fresh[i]).Select(v => v.Record).ToList();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var topic = TopicOf(kind);
            await Task.WhenAll(sending.Select(r => producer.SendAsync(topic, r.Key!, r.Message!)));
        }
        catch (Confluent.Kafka.KafkaException e)
        {
            // Some may have been written; the retry sends them again and the detector applies each once (bank, id).
            duplicates.Release(kindCode, bankId, sending.Select(r => r.Id!));
            throw new KafkaUnavailableException(e);
        }
        metrics.DeliverySeconds.Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);

        var kindLabel = kind == RecordKind.Transaction ? "transaction" : "fraud_report";
        metrics.Accepted.WithLabels(bankId, kindLabel, "http").Inc(sending.Count);
        metrics.Duplicates.WithLabels(bankId, kindLabel).Inc(valid.Count - sending.Count);
        foreach (var code in rejectedCodes)
            metrics.Rejected.WithLabels(bankId, kindLabel, "http", code).Inc();
        status.Of(bankId).Add(sending.Count, valid.Count - sending.Count, rejectedCodes, sending.Count > 0 ? sending.Max(r => r.EventTime) : null);
        return new IngestResponse(records.Count, sending.Count, valid.Count - sending.Count, rejectedCodes.Count, errors,
            rejectedCodes.Count > 0 && errors.Count >= MaxListedErrors, warnings);
    }

    // The exception's type only: its message could quote the record.
    [LoggerMessage(LogLevel.Error, "A record could not be read ({ExceptionType}); it was rejected as unreadable")]
    private partial void LogUnreadable(string exceptionType);

    /// <summary>The record's id when it can be read at all, so a bank can find the record its error is about.</summary>
    private static string? IdOf(ReadOnlyMemory<byte> json, string field)
    {
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(field, out var id)
                && id.ValueKind == JsonValueKind.String && id.GetString() is { Length: <= 64 } text
                && !text.Any(char.IsControl) && !PanScanner.ContainsPan(text) ? text : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null; // not JSON, or an id that is not text (an escaped lone surrogate): the error has no id
        }
    }
}

/// <summary>A record read: what to forward (id, key, message, event time) or its problems; and what was not read.</summary>
public sealed record Validated(string? Id, string? Key, byte[]? Message, DateTimeOffset? EventTime, IReadOnlyList<ValidationProblem> Problems,
    IReadOnlyList<ValidationProblem> Warnings);

/// <summary>The answer to a feed request: every record counted once, the rejected ones explained.</summary>
/// <param name="Received">Records in the request.</param>
/// <param name="Accepted">Records taken and acknowledged by Kafka.</param>
/// <param name="Duplicates">Records with a bank and id already accepted within the duplicate window.</param>
/// <param name="Rejected">Records refused; Received = Accepted + Duplicates + Rejected.</param>
/// <param name="Errors">Each problem of each rejected record (the first 1,000).</param>
/// <param name="ErrorsTruncated">True when more problems were found than listed.</param>
/// <param name="Warnings">What was accepted but not read, such as fields the contract does not know (the first 1,000).</param>
public sealed record IngestResponse(int Received, int Accepted, int Duplicates, int Rejected, IReadOnlyList<RecordError> Errors, bool ErrorsTruncated,
    IReadOnlyList<RecordError> Warnings);

/// <summary>One problem of a record: where it is and what is wrong, never the value itself.</summary>
/// <param name="Line">The line of the body where the record starts.</param>
/// <param name="Element">In a JSON array body, the record's index from 0; null for JSON lines and CSV.</param>
/// <param name="Id">The record's id, when it could be read and holds no card number.</param>
/// <param name="Field">The field, "$" for the record as a whole.</param>
/// <param name="Code">A stable reason code.</param>
/// <param name="Reason">A plain sentence.</param>
public sealed record RecordError(int Line, int? Element, string? Id, string Field, string Code, string Reason);

/// <summary>Kafka did not acknowledge a request's records in time; nothing of the request was counted.</summary>
public sealed class KafkaUnavailableException(Exception inner) : Exception("Kafka did not acknowledge the records", inner);
