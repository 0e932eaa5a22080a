using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using SkimGuard.Ingest.Observability;
using SkimGuard.Ingest.Records;

namespace SkimGuard.Ingest.Api;

/// <summary>
/// POST /v1/transactions and /v1/fraud-reports, GET /v1/feed-status. Every refusal has a status code and a message
/// saying what to do; no input, however broken, gives a 500 or loses count.
/// </summary>
public sealed partial class FeedEndpoints(IngestOptions options, ApiKeys keys, FeedIntake intake, FeedStatus status, IngestMetrics metrics, ILogger<FeedEndpoints> logger)
{
    private readonly ConcurrentDictionary<string, RateLimiter> _limiters = new(StringComparer.Ordinal);

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        app.MapPost("/v1/transactions", (HttpContext http, FeedEndpoints feed) => feed.PostAsync(http, RecordKind.Transaction))
            .WithSummary("Send card transactions: JSON lines, a JSON array or CSV with a header row; gzip allowed.");
        app.MapPost("/v1/fraud-reports", (HttpContext http, FeedEndpoints feed) => feed.PostAsync(http, RecordKind.FraudReport))
            .WithSummary("Send confirmed-fraud reports: JSON lines, a JSON array or CSV with a header row; gzip allowed.");
        app.MapGet("/v1/feed-status", (HttpContext http, FeedEndpoints feed) => feed.Status(http))
            .WithSummary("The calling bank's own counters: accepted, duplicates, rejected by reason, last record time.");
    }

    private async Task<IResult> PostAsync(HttpContext http, RecordKind kind)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var result = await HandleAsync(http, kind);
        metrics.RequestSeconds.WithLabels(StatusOf(result).ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        return result;
    }

    private async Task<IResult> HandleAsync(HttpContext http, RecordKind kind)
    {
        if (!keys.TryAuthenticate(ApiKeyOf(http.Request), out var bank, out var authProblem))
            return Refuse(StatusCodes.Status401Unauthorized, authProblem);
        var limiter = _limiters.GetOrAdd(bank, _ => new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = options.RequestsPerSecondPerBank * 2,
            TokensPerPeriod = options.RequestsPerSecondPerBank,
            ReplenishmentPeriod = TimeSpan.FromSeconds(1),
            QueueLimit = 0,
        }));
        using var lease = limiter.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            http.Response.Headers.RetryAfter = "1";
            return Refuse(StatusCodes.Status429TooManyRequests, $"more than {options.RequestsPerSecondPerBank} requests per second from {bank}; retry after a second");
        }
        var mediaType = MediaTypeOf(http.Request);
        if (mediaType is null)
            return Refuse(StatusCodes.Status415UnsupportedMediaType, $"Content-Type must be one of {string.Join(", ", BodyRecords.MediaTypes)}");

        var (body, bodyProblem, bodyStatus) = await ReadBodyAsync(http);
        if (bodyProblem is not null)
            return Refuse(bodyStatus, bodyProblem);
        var records = BodyRecords.Split(body, mediaType);
        if (records.Count == 0)
            return Refuse(StatusCodes.Status400BadRequest, "the body holds no records");
        if (records.Count > options.MaxRecordsPerRequest)
            return Refuse(StatusCodes.Status413PayloadTooLarge, $"{records.Count} records; at most {options.MaxRecordsPerRequest} per request");
        try
        {
            var response = await intake.AcceptAsync(bank, kind, records);
            LogRequest(bank, kind, response.Received, response.Accepted, response.Duplicates, response.Rejected);
            return Results.Ok(response);
        }
        catch (KafkaUnavailableException e)
        {
            LogKafkaDown(bank, e.InnerException?.Message ?? e.Message);
            http.Response.Headers.RetryAfter = "5";
            return Refuse(StatusCodes.Status503ServiceUnavailable, "the records could not be stored (Kafka unavailable); nothing from this request was counted: send it again");
        }
    }

    private IResult Status(HttpContext http) =>
        keys.TryAuthenticate(ApiKeyOf(http.Request), out var bank, out var problem)
            ? Results.Ok(status.Of(bank).Snapshot(bank))
            : Refuse(StatusCodes.Status401Unauthorized, problem);

    /// <summary>The body, unpacked if gzip, within the size limits; or why not.</summary>
    private async Task<(ReadOnlyMemory<byte> Body, string? Problem, int Status)> ReadBodyAsync(HttpContext http)
    {
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = options.MaxBodyBytes;
        var gzip = http.Request.Headers.ContentEncoding.ToString().Trim().Equals("gzip", StringComparison.OrdinalIgnoreCase);
        if (!gzip && http.Request.Headers.ContentEncoding.Count > 0 && !string.IsNullOrWhiteSpace(http.Request.Headers.ContentEncoding))
            return (default, "Content-Encoding must be gzip or absent", StatusCodes.Status415UnsupportedMediaType);
        try
        {
            // The body as sent, within its limit; a gzip body is unpacked and checked whole after it is all here.
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > options.MaxBodyBytes)
                    return (default, $"the body is larger than {options.MaxBodyBytes} bytes", StatusCodes.Status413PayloadTooLarge);
                buffer.Write(chunk, 0, read);
            }
            var body = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
            if (!gzip)
                return (body, null, 0);
            var (unpacked, problem, status) = GzipBody.Unpack(body, options.MaxUnpackedBytes);
            return (unpacked, problem, status);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (default, $"the body is larger than {options.MaxBodyBytes} bytes", StatusCodes.Status413PayloadTooLarge);
        }
    }

    private IResult Refuse(int statusCode, string message)
    {
        metrics.Refused.WithLabels(statusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
        return Results.Json(new Refusal(statusCode, message), statusCode: statusCode);
    }

    private static int StatusOf(IResult result) => result is IStatusCodeHttpResult { StatusCode: { } code } ? code : 200;

    private static string? ApiKeyOf(HttpRequest request)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var key))
            return key.ToString();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? authorization[7..].Trim() : null;
    }

    private static string? MediaTypeOf(HttpRequest request)
    {
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var contentType))
            return null;
        var type = contentType.MediaType.ToString().ToLowerInvariant();
        return type switch
        {
            "application/x-ndjson" or "application/jsonl" or "application/jsonlines" => "application/x-ndjson",
            "application/json" => "application/json",
            "text/csv" => "text/csv",
            _ => null,
        };
    }

    [LoggerMessage(LogLevel.Information, "{Bank} {Kind}: received {Received}, accepted {Accepted}, duplicates {Duplicates}, rejected {Rejected}")]
    private partial void LogRequest(string bank, RecordKind kind, int received, int accepted, int duplicates, int rejected);

    [LoggerMessage(LogLevel.Warning, "{Bank}: Kafka did not acknowledge a request's records ({Reason}); answered 503")]
    private partial void LogKafkaDown(string bank, string reason);
}

/// <summary>A request refused whole: its status and what to do about it.</summary>
public sealed record Refusal(int Status, string Error);
