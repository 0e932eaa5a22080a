using System.Data.Common;
using System.Text.Json;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;

namespace SkimGuard.Alerts.Store;

/// <summary>
/// The centre's alerts in a real database: the newest state of each alert from the detector, its triage lifecycle
/// with an audit trail, and the cards at risk per bank. Replaying the topics changes nothing: an alert state is applied
/// only when newer than the one kept, a card at risk only once.
/// </summary>
public sealed class AlertStore(Database database, TimeProvider clock)
{
    /// <summary>The database this store uses.</summary>
    public Database Database => database;

    /// <summary>Creates the tables if they are missing.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        foreach (var statement in database.Schema.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            await ExecuteAsync(connection, statement, null, cancellationToken);
    }

    /// <summary>
    /// Takes in an alert state. New: kept as open. Newer than the one kept: its figures replace the old ones, the triage
    /// state stays, except that new evidence after a false alarm or a withdrawal reopens the alert, and a withdrawal
    /// resolves an alert no team was dispatched to. Older or the same: nothing.
    /// </summary>
    public async Task<AlertChange> ApplyAsync(AtmAlert alert, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        long? kept = null;
        string? status = null, outcome = null;
        await using (var read = Command(connection, "SELECT updated_at, status, outcome FROM alerts WHERE alert_id = @id", new() { ["id"] = alert.AlertId }))
        {
            read.Transaction = transaction;
            await using var reader = await read.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
                (kept, status, outcome) = (reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }
        var updatedAt = alert.UpdatedAt.ToUnixTimeMilliseconds();
        AlertChange change;
        var withdrawn = alert.Status == AlertStatus.Withdrawn;
        string newStatus;
        if (kept is null)
        {
            // A withdrawn state may be the first this store sees (a consumer that started late on a compacted topic).
            var fields = Fields(alert);
            fields["status"] = withdrawn ? AlertLifecycle.Resolved : AlertLifecycle.Open;
            fields["outcome"] = withdrawn ? AlertLifecycle.Withdrawn : null;
            newStatus = (string)fields["status"]!;
            await ExecuteAsync(connection, """
                INSERT INTO alerts (alert_id, terminal_id, terminal_type, locality, owner_bank, lat, lon, score, p_value, compromised_cards,
                  exposed_cards, cards_at_risk, window_from, window_to, first_flagged_at, updated_at, status, outcome, payload)
                VALUES (@alert_id, @terminal_id, @terminal_type, @locality, @owner_bank, @lat, @lon, @score, @p_value, @k, @n, @at_risk,
                  @window_from, @window_to, @first_flagged_at, @updated_at, @status, @outcome, @payload)
                """, fields, cancellationToken, transaction);
            await HistoryAsync(connection, transaction, alert.AlertId, "detector", "raised", null, AlertLifecycle.Open, $"k {alert.CompromisedCards:0.#} of n {alert.ExposedCards}, p {alert.PValue:E1}", cancellationToken);
            if (withdrawn)
                await HistoryAsync(connection, transaction, alert.AlertId, "detector", "withdrawn", AlertLifecycle.Open, AlertLifecycle.Resolved, ExplainedByNote(alert), cancellationToken);
            change = withdrawn ? AlertChange.Withdrawn : AlertChange.Raised;
        }
        else if (kept >= updatedAt)
        {
            await transaction.RollbackAsync(cancellationToken);
            return AlertChange.Unchanged;
        }
        else
        {
            // New evidence reopens an alert the officer closed as a false alarm or the detector withdrew. A withdrawal closes
            // the alert unless a team is already out: then the officer decides, with the withdrawal in the history.
            var reopen = !withdrawn && status == AlertLifecycle.Resolved && outcome is AlertLifecycle.FalseAlarm or AlertLifecycle.Withdrawn;
            var close = withdrawn && status is AlertLifecycle.Open or AlertLifecycle.Acknowledged;
            var fields = Fields(alert);
            fields["status"] = reopen ? AlertLifecycle.Open : close ? AlertLifecycle.Resolved : status;
            fields["outcome"] = reopen ? null : close ? AlertLifecycle.Withdrawn : outcome;
            newStatus = (string)fields["status"]!;
            await ExecuteAsync(connection, """
                UPDATE alerts SET locality = @locality, owner_bank = @owner_bank, lat = @lat, lon = @lon, score = @score, p_value = @p_value,
                  compromised_cards = @k, exposed_cards = @n, cards_at_risk = @at_risk, window_from = @window_from, window_to = @window_to,
                  updated_at = @updated_at, status = @status, outcome = @outcome, payload = @payload
                WHERE alert_id = @alert_id
                """, fields, cancellationToken, transaction);
            if (reopen)
                await HistoryAsync(connection, transaction, alert.AlertId, "detector", "reopened", status, AlertLifecycle.Open,
                    outcome == AlertLifecycle.Withdrawn ? "new evidence the other flagged terminals do not explain" : "new evidence after a false alarm", cancellationToken);
            else if (withdrawn)
                await HistoryAsync(connection, transaction, alert.AlertId, "detector", "withdrawn", status, newStatus, ExplainedByNote(alert), cancellationToken);
            else
                await HistoryAsync(connection, transaction, alert.AlertId, "detector", "updated", status, status!, $"k {alert.CompromisedCards:0.#} of n {alert.ExposedCards}, p {alert.PValue:E1}", cancellationToken);
            change = reopen ? AlertChange.Reopened : withdrawn ? AlertChange.Withdrawn : AlertChange.Updated;
        }
        await EnqueueWebhooksAsync(connection, transaction, change.ToString().ToLowerInvariant(), alert, newStatus, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return change;
    }

    private static string ExplainedByNote(AtmAlert alert) =>
        $"its compromised cards are explained by {(alert.ExplainedBy is { Count: > 0 } by ? string.Join(", ", by) : "other flagged terminals")}";

    /// <summary>Takes in a bank's cards at risk for an alert; a card already listed is not listed again.</summary>
    public async Task<int> ApplyAsync(CardsAtRisk cards, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var added = 0;
        foreach (var token in cards.CardTokens)
        {
            added += await ExecuteAsync(connection, """
                INSERT INTO cards_at_risk (alert_id, bank_id, card_token, issued_at) VALUES (@alert, @bank, @token, @issued)
                ON CONFLICT (alert_id, bank_id, card_token) DO NOTHING
                """, new() { ["alert"] = cards.AlertId, ["bank"] = cards.BankId, ["token"] = token, ["issued"] = cards.IssuedAt.ToUnixTimeMilliseconds() }, cancellationToken, transaction);
        }
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    /// <summary>Alerts matching the filter, open and strongest first, then newest.</summary>
    public async Task<List<AlertSummary>> ListAsync(AlertFilter filter, CancellationToken cancellationToken = default)
    {
        var where = new List<string>();
        var parameters = new Dictionary<string, object?>();
        void Add(string condition, string name, object? value)
        {
            where.Add(condition);
            parameters[name] = value;
        }
        if (filter.Status == AlertLifecycle.Active)
            where.Add($"status IN ('{AlertLifecycle.Open}', '{AlertLifecycle.Acknowledged}', '{AlertLifecycle.Dispatched}')");
        else if (filter.Status is { } status)
            Add("status = @status", "status", status);
        if (filter.Locality is { } locality)
            Add("locality = @locality", "locality", locality);
        if (filter.Bank is { } bank)
            Add("(owner_bank = @bank OR alert_id IN (SELECT alert_id FROM cards_at_risk WHERE bank_id = @bank))", "bank", bank);
        if (filter.From is { } from)
            Add("first_flagged_at >= @from", "from", from.ToUnixTimeMilliseconds());
        if (filter.To is { } to)
            Add("first_flagged_at < @to", "to", to.ToUnixTimeMilliseconds());
        if (filter.MinScore is { } minScore)
            Add("score >= @min_score", "min_score", minScore);
        parameters["limit"] = filter.Limit;
        var sql = $"""
            SELECT alert_id, terminal_id, terminal_type, locality, owner_bank, lat, lon, score, p_value, compromised_cards, exposed_cards,
              cards_at_risk, window_from, window_to, first_flagged_at, updated_at, status, outcome
            FROM alerts {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            ORDER BY CASE WHEN status = 'resolved' THEN 1 ELSE 0 END, score DESC, first_flagged_at DESC
            LIMIT @limit
            """;
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<AlertSummary>();
        while (await reader.ReadAsync(cancellationToken))
            list.Add(Summary(reader));
        return list;
    }

    /// <summary>One alert with its evidence, history and the count of its cards at risk per bank; null when unknown.</summary>
    public async Task<AlertDetail?> GetAsync(string alertId, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        AlertSummary summary;
        string payload;
        await using (var command = Command(connection, """
            SELECT alert_id, terminal_id, terminal_type, locality, owner_bank, lat, lon, score, p_value, compromised_cards, exposed_cards,
              cards_at_risk, window_from, window_to, first_flagged_at, updated_at, status, outcome, payload
            FROM alerts WHERE alert_id = @id
            """, new() { ["id"] = alertId }))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            summary = Summary(reader);
            payload = reader.GetString(18);
        }
        var history = new List<HistoryEntry>();
        await using (var command = Command(connection, "SELECT at, actor, action, from_status, to_status, note FROM alert_history WHERE alert_id = @id ORDER BY id", new() { ["id"] = alertId }))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                history.Add(new HistoryEntry(Time(reader.GetInt64(0)), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        }
        var perBank = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var command = Command(connection, "SELECT bank_id, COUNT(*) FROM cards_at_risk WHERE alert_id = @id GROUP BY bank_id ORDER BY bank_id", new() { ["id"] = alertId }))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                perBank[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }
        var alert = JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.AtmAlert)!;
        return new AlertDetail(summary, alert.Evidence, history, perBank);
    }

    /// <summary>Moves an alert through its lifecycle, recording who, when and why; the reason when the move is not allowed.</summary>
    public async Task<(AlertSummary? Alert, string? Problem)> TransitionAsync(string alertId, string action, string actor, string? note, string? outcome, CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await ScalarAsync(connection, transaction, "SELECT status FROM alerts WHERE alert_id = @id", new() { ["id"] = alertId }, cancellationToken) is not string status)
            return (null, "no such alert");
        if (AlertLifecycle.Next(status, action, outcome) is not { } next)
            return (null, AlertLifecycle.Why(status, action, outcome));
        await ExecuteAsync(connection, "UPDATE alerts SET status = @status, outcome = @outcome WHERE alert_id = @id",
            new() { ["status"] = next, ["outcome"] = next == AlertLifecycle.Resolved ? outcome : null, ["id"] = alertId }, cancellationToken, transaction);
        await HistoryAsync(connection, transaction, alertId, actor, action + (outcome is null ? "" : $": {outcome}"), status, next, note, cancellationToken);
        var payload = (string)(await ScalarAsync(connection, transaction, "SELECT payload FROM alerts WHERE alert_id = @id", new() { ["id"] = alertId }, cancellationToken))!;
        await EnqueueWebhooksAsync(connection, transaction, action, JsonSerializer.Deserialize(payload, ContractsJsonContext.Default.AtmAlert)!, next, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return ((await GetAsync(alertId, cancellationToken))!.Alert, null);
    }

    /// <summary>Figures for reporting: alerts per month (of first flag, UTC), alerts by outcome (or status while open), cards at risk.</summary>
    public async Task<(SortedDictionary<string, int> PerMonth, Dictionary<string, int> ByOutcome, long CardsAtRisk)> SummaryAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var perMonth = new SortedDictionary<string, int>(StringComparer.Ordinal);
        await using (var command = Command(connection, "SELECT first_flagged_at FROM alerts", []))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var month = Time(reader.GetInt64(0)).ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture);
                perMonth[month] = perMonth.GetValueOrDefault(month) + 1;
            }
        }
        var byOutcome = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var command = Command(connection, "SELECT COALESCE(outcome, status), COUNT(*) FROM alerts GROUP BY COALESCE(outcome, status)", []))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                byOutcome[reader.GetString(0)] = Convert.ToInt32(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture);
        }
        var cards = await ScalarAsync(connection, null, "SELECT COALESCE(SUM(cards_at_risk), 0) FROM alerts", [], cancellationToken);
        return (perMonth, byOutcome, Convert.ToInt64(cards, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Cards at risk, newest first: of one bank, or of all when <paramref name="bankId"/> is null.</summary>
    public async Task<List<CardAtRisk>> CardsAtRiskAsync(string? bankId, string? alertId, int limit, CancellationToken cancellationToken = default)
    {
        var where = new List<string>();
        var parameters = new Dictionary<string, object?> { ["limit"] = limit };
        if (bankId is not null)
        {
            where.Add("c.bank_id = @bank");
            parameters["bank"] = bankId;
        }
        if (alertId is not null)
        {
            where.Add("c.alert_id = @alert");
            parameters["alert"] = alertId;
        }
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var command = Command(connection, $"""
            SELECT c.alert_id, a.terminal_id, c.bank_id, c.card_token, c.issued_at, a.window_from, a.window_to
            FROM cards_at_risk c JOIN alerts a ON a.alert_id = c.alert_id
            {(where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "")}
            ORDER BY c.issued_at DESC, c.card_token LIMIT @limit
            """, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var cards = new List<CardAtRisk>();
        while (await reader.ReadAsync(cancellationToken))
            cards.Add(new CardAtRisk(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), Time(reader.GetInt64(4)), Time(reader.GetInt64(5)), Time(reader.GetInt64(6))));
        return cards;
    }

    internal static async Task<int> ExecuteAsync(DbConnection connection, string sql, Dictionary<string, object?>? parameters, CancellationToken cancellationToken, DbTransaction? transaction = null)
    {
        await using var command = Command(connection, sql, parameters ?? []);
        command.Transaction = transaction;
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    internal static async Task<object?> ScalarAsync(DbConnection connection, DbTransaction? transaction, string sql, Dictionary<string, object?> parameters, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, sql, parameters);
        command.Transaction = transaction;
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is DBNull ? null : value;
    }

    internal static DbCommand Command(DbConnection connection, string sql, Dictionary<string, object?> parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@" + name;
            parameter.Value = value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }
        return command;
    }

    /// <summary>How long an undelivered webhook event is kept trying.</summary>
    public static readonly TimeSpan WebhookExpiry = TimeSpan.FromDays(3);

    /// <summary>
    /// Queues the event for every webhook in the same transaction as the change itself, so that no change is ever
    /// without its notification, nor a notification without its change.
    /// </summary>
    private async Task EnqueueWebhooksAsync(DbConnection connection, DbTransaction transaction, string kind, AtmAlert alert, string status, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var payload = JsonSerializer.Serialize(new WebhookEvent(kind, alert.AlertId, status, now, alert), AlertsJsonContext.Default.WebhookEvent);
        await ExecuteAsync(connection, """
            INSERT INTO webhook_deliveries (webhook_id, event, alert_id, payload, created_at, expires_at, attempts, next_attempt_at)
            SELECT id, @event, @alert, @payload, @now, @expires, 0, @now FROM webhooks
            """, new() { ["event"] = kind, ["alert"] = alert.AlertId, ["payload"] = payload, ["now"] = now.ToUnixTimeMilliseconds(), ["expires"] = (now + WebhookExpiry).ToUnixTimeMilliseconds() },
            cancellationToken, transaction);
    }

    private async Task HistoryAsync(DbConnection connection, DbTransaction transaction, string alertId, string actor, string action, string? from, string to, string? note, CancellationToken cancellationToken) =>
        await ExecuteAsync(connection, """
            INSERT INTO alert_history (alert_id, at, actor, action, from_status, to_status, note) VALUES (@alert, @at, @actor, @action, @from, @to, @note)
            """, new() { ["alert"] = alertId, ["at"] = clock.GetUtcNow().ToUnixTimeMilliseconds(), ["actor"] = actor, ["action"] = action, ["from"] = from, ["to"] = to, ["note"] = note },
            cancellationToken, transaction);

    private static Dictionary<string, object?> Fields(AtmAlert alert) => new()
    {
        ["alert_id"] = alert.AlertId, ["terminal_id"] = alert.TerminalId, ["terminal_type"] = WireNames.NameOf(alert.TerminalType),
        ["locality"] = alert.Location?.Locality, ["owner_bank"] = alert.Location?.BankId, ["lat"] = alert.Location?.Lat, ["lon"] = alert.Location?.Lon,
        ["score"] = alert.Score, ["p_value"] = alert.PValue, ["k"] = alert.CompromisedCards, ["n"] = (long)alert.ExposedCards, ["at_risk"] = (long)alert.CardsAtRisk,
        ["window_from"] = alert.WindowFrom.ToUnixTimeMilliseconds(), ["window_to"] = alert.WindowTo.ToUnixTimeMilliseconds(),
        ["first_flagged_at"] = alert.FirstFlaggedAt.ToUnixTimeMilliseconds(), ["updated_at"] = alert.UpdatedAt.ToUnixTimeMilliseconds(),
        ["payload"] = JsonSerializer.Serialize(alert, ContractsJsonContext.Default.AtmAlert),
    };

    private static AlertSummary Summary(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
        r.IsDBNull(5) ? null : r.GetDouble(5), r.IsDBNull(6) ? null : r.GetDouble(6), r.GetDouble(7), r.GetDouble(8), r.GetDouble(9),
        r.GetInt64(10), r.GetInt64(11), Time(r.GetInt64(12)), Time(r.GetInt64(13)), Time(r.GetInt64(14)), Time(r.GetInt64(15)),
        r.GetString(16), r.IsDBNull(17) ? null : r.GetString(17));

    private static DateTimeOffset Time(long unixMs) => DateTimeOffset.FromUnixTimeMilliseconds(unixMs);
}

/// <summary>What applying an alert state did.</summary>
public enum AlertChange
{
    /// <summary>Nothing: the same or an older state was kept already.</summary>
    Unchanged,

    /// <summary>A new alert, open.</summary>
    Raised,

    /// <summary>New figures for a known alert; its triage state kept.</summary>
    Updated,

    /// <summary>New evidence after a false alarm or a withdrawal: open again.</summary>
    Reopened,

    /// <summary>The detector withdrew it: other flagged terminals explain its cards. Resolved as withdrawn unless dispatched.</summary>
    Withdrawn,
}

/// <summary>Filters of the alert list; null means any.</summary>
public sealed record AlertFilter(string? Status = null, string? Locality = null, string? Bank = null, DateTimeOffset? From = null, DateTimeOffset? To = null, double? MinScore = null, int Limit = 500);

/// <summary>An alert as listed.</summary>
public sealed record AlertSummary(
    string AlertId, string TerminalId, string TerminalType, string? Locality, string? OwnerBank, double? Lat, double? Lon, double Score, double PValue,
    double CompromisedCards, long ExposedCards, long CardsAtRisk, DateTimeOffset WindowFrom, DateTimeOffset WindowTo, DateTimeOffset FirstFlaggedAt,
    DateTimeOffset UpdatedAt, string Status, string? Outcome);

/// <summary>An alert with its evidence, its history and its cards at risk per bank.</summary>
public sealed record AlertDetail(AlertSummary Alert, IReadOnlyList<CompromiseEvidence> Evidence, IReadOnlyList<HistoryEntry> History, IReadOnlyDictionary<string, int> CardsAtRiskByBank);

/// <summary>One change in an alert's life: who, when, what and why.</summary>
public sealed record HistoryEntry(DateTimeOffset At, string Actor, string Action, string? FromStatus, string ToStatus, string? Note);

/// <summary>A card at risk as a bank sees it.</summary>
public sealed record CardAtRisk(string AlertId, string TerminalId, string BankId, string CardToken, DateTimeOffset IssuedAt, DateTimeOffset WindowFrom, DateTimeOffset WindowTo);

/// <summary>What a webhook subscriber receives: the event, the alert's triage status, and the alert's newest state.</summary>
public sealed record WebhookEvent(string Event, string AlertId, string Status, DateTimeOffset At, AtmAlert Alert);

/// <summary>JSON of what the alerts service sends, in the wire format's style.</summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(UtcTimestampJsonConverter), typeof(WireEnumConverter<TerminalType>), typeof(WireEnumConverter<FraudType>), typeof(WireEnumConverter<AlertStatus>)])]
[System.Text.Json.Serialization.JsonSerializable(typeof(WebhookEvent))]
internal sealed partial class AlertsJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
