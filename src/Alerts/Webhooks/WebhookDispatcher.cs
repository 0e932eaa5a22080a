using System.Security.Cryptography;
using System.Text;
using SkimGuard.Alerts.Store;

namespace SkimGuard.Alerts.Webhooks;

/// <summary>
/// Delivers queued webhook events: each POSTed as JSON with <c>X-SkimGuard-Signature: sha256=HEX</c>, the HMAC-SHA256 of
/// the body under the subscriber's secret. A failure is retried with backoff (2 s doubling, at most 10 min) until it is
/// delivered or three days old; pending and failed deliveries are listed for the admin. Replicas sharing the database
/// each claim a delivery before sending it, so an event goes out once however many run.
/// </summary>
public sealed partial class WebhookDispatcher(AlertStore store, IHttpClientFactory httpClients, TimeProvider clock, ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>The signature header.</summary>
    public const string SignatureHeader = "X-SkimGuard-Signature";

    /// <summary>How often due deliveries are looked for.</summary>
    public static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(500);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Poll, clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    foreach (var delivery in await ClaimDueAsync(stoppingToken))
                        await DeliverAsync(delivery, stoppingToken);
                }
                catch (System.Data.Common.DbException e)
                {
                    LogDatabase(e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // the service is stopping; what is still queued is delivered after the restart
        }
    }

    /// <summary>The signature of a body under a secret, as the header carries it.</summary>
    public static string Sign(string secret, byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private async Task DeliverAsync(Due delivery, CancellationToken stoppingToken)
    {
        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        string? error;
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            request.Headers.Add(SignatureHeader, Sign(delivery.Secret, body));
            request.Headers.Add("X-SkimGuard-Event", delivery.Event);
            request.Headers.Add("X-SkimGuard-Delivery", delivery.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await httpClients.CreateClient("webhooks").SendAsync(request, stoppingToken);
            error = response.IsSuccessStatusCode ? null : $"HTTP {(int)response.StatusCode}";
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !stoppingToken.IsCancellationRequested)
        {
            error = e.Message;
        }
        var now = clock.GetUtcNow();
        await using var connection = await store.Database.OpenAsync(stoppingToken);
        if (error is null)
        {
            await AlertStore.ExecuteAsync(connection, "UPDATE webhook_deliveries SET delivered_at = @now, attempts = attempts + 1 WHERE id = @id",
                new() { ["now"] = now.ToUnixTimeMilliseconds(), ["id"] = delivery.Id }, stoppingToken);
            return;
        }
        var pause = TimeSpan.FromSeconds(Math.Min(600, 2 * Math.Pow(2, delivery.Attempts)));
        await AlertStore.ExecuteAsync(connection, "UPDATE webhook_deliveries SET attempts = attempts + 1, next_attempt_at = @next, last_error = @error WHERE id = @id",
            new() { ["next"] = (now + pause).ToUnixTimeMilliseconds(), ["error"] = error, ["id"] = delivery.Id }, stoppingToken);
        LogFailed(delivery.Url, error, pause.TotalSeconds);
    }

    /// <summary>Deliveries claimed at a time: each takes at most the client's 10 s, so a claim is done well inside its lease.</summary>
    private const int ClaimBatch = 20;

    /// <summary>
    /// How long a claim keeps other replicas off a delivery. A replica that dies holding one leaves it to be claimed again
    /// when the lease ends: delivered at least once, and subscribers drop repeats by X-SkimGuard-Delivery.
    /// </summary>
    public static readonly TimeSpan ClaimLease = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Claims due deliveries for this replica: one statement moves their next attempt to the end of a lease and returns
    /// them, so no other replica sees them due. On PostgreSQL, FOR UPDATE SKIP LOCKED lets replicas claim side by side
    /// without waiting, and the outer re-check keeps out a row another replica claimed meanwhile; SQLite runs one writer
    /// at a time, so the statement alone is the claim.
    /// </summary>
    private async Task<List<Due>> ClaimDueAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        var claimed = new List<(long Id, string WebhookId, string Event, string Payload, long Attempts)>();
        await using (var command = AlertStore.Command(connection, $"""
            UPDATE webhook_deliveries SET next_attempt_at = @lease
            WHERE delivered_at IS NULL AND next_attempt_at <= @now
              AND id IN (
                SELECT id FROM webhook_deliveries WHERE delivered_at IS NULL AND next_attempt_at <= @now AND expires_at > @now
                ORDER BY id LIMIT {ClaimBatch}{(store.Database.Kind == "postgres" ? " FOR UPDATE SKIP LOCKED" : "")})
            RETURNING id, webhook_id, event, payload, attempts
            """, new() { ["now"] = now.ToUnixTimeMilliseconds(), ["lease"] = (now + ClaimLease).ToUnixTimeMilliseconds() }))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                claimed.Add((reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt64(4)));
        }
        if (claimed.Count == 0)
            return [];
        // SQLite's RETURNING names only the updated table's columns: the subscribers (a handful) are read apart.
        var subscribers = new Dictionary<string, (string Url, string Secret)>(StringComparer.Ordinal);
        await using (var command = AlertStore.Command(connection, "SELECT id, url, secret FROM webhooks", []))
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
                subscribers[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2));
        }
        return [.. claimed.OrderBy(c => c.Id).Select(c => new Due(c.Id, subscribers[c.WebhookId].Url, subscribers[c.WebhookId].Secret, c.Event, c.Payload, c.Attempts))];
    }

    private sealed record Due(long Id, string Url, string Secret, string Event, string Payload, long Attempts);

    [LoggerMessage(LogLevel.Warning, "Webhook {Url} failed ({Error}); retrying in {Seconds} s")]
    private partial void LogFailed(string url, string error, double seconds);

    [LoggerMessage(LogLevel.Warning, "Webhooks: database unavailable ({Reason})")]
    private partial void LogDatabase(string reason);
}

/// <summary>Webhook subscriptions and their deliveries, for the admin.</summary>
public sealed class WebhookSubscriptions(AlertStore store, WebhookTargets targets, TimeProvider clock)
{
    /// <summary>Adds a subscriber; the reason when it cannot be.</summary>
    public async Task<(string? Id, string? Problem)> AddAsync(string? url, string? secret, CancellationToken cancellationToken = default)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
            return (null, "url: an absolute http(s) URL");
        if (secret is not { Length: >= 16 })
            return (null, "secret: at least 16 characters (the HMAC key the subscriber verifies signatures with)");
        if (await targets.RefusalAsync(uri.Host, cancellationToken) is { } refusal)
            return (null, $"url: {refusal}");
        var id = $"wh_{Guid.NewGuid():N}"[..15];
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        await AlertStore.ExecuteAsync(connection, "INSERT INTO webhooks (id, url, secret, created_at) VALUES (@id, @url, @secret, @at)",
            new() { ["id"] = id, ["url"] = url, ["secret"] = secret, ["at"] = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken);
        return (id, null);
    }

    /// <summary>Removes a subscriber and its deliveries, pending ones included; false when there was no such subscriber.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken = default)
    {
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AlertStore.ExecuteAsync(connection, "DELETE FROM webhook_deliveries WHERE webhook_id = @id", new() { ["id"] = id }, cancellationToken, transaction);
        var deleted = await AlertStore.ExecuteAsync(connection, "DELETE FROM webhooks WHERE id = @id", new() { ["id"] = id }, cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    /// <summary>Every subscriber with its delivered, pending and expired counts (secrets not shown).</summary>
    public async Task<List<WebhookStatus>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        await using var command = AlertStore.Command(connection, """
            SELECT w.id, w.url,
              SUM(CASE WHEN d.delivered_at IS NOT NULL THEN 1 ELSE 0 END),
              SUM(CASE WHEN d.id IS NOT NULL AND d.delivered_at IS NULL AND d.expires_at > @now THEN 1 ELSE 0 END),
              SUM(CASE WHEN d.id IS NOT NULL AND d.delivered_at IS NULL AND d.expires_at <= @now THEN 1 ELSE 0 END),
              MAX(d.last_error)
            FROM webhooks w LEFT JOIN webhook_deliveries d ON d.webhook_id = w.id GROUP BY w.id, w.url ORDER BY w.id
            """, new() { ["now"] = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<WebhookStatus>();
        static long Count(System.Data.Common.DbDataReader r, int i) => r.IsDBNull(i) ? 0 : Convert.ToInt64(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new WebhookStatus(reader.GetString(0), reader.GetString(1), Count(reader, 2), Count(reader, 3), Count(reader, 4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        return list;
    }
}

/// <summary>A subscriber and how its deliveries stand.</summary>
public sealed record WebhookStatus(string Id, string Url, long Delivered, long Pending, long Expired, string? LastError);
