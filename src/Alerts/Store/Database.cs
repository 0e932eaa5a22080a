using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace SkimGuard.Alerts.Store;

/// <summary>
/// The two databases the alert store runs on, and the little that differs between them: how to connect, the identity
/// column, and SQLite's WAL mode. Everything else (the tables, ON CONFLICT upserts, @name parameters) is shared SQL.
/// </summary>
public sealed class Database(string kind, string connectionString)
{
    /// <summary>"sqlite" or "postgres".</summary>
    public string Kind { get; } = kind;

    /// <summary>An open connection.</summary>
    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        DbConnection connection = Kind == "postgres" ? new NpgsqlConnection(connectionString) : new SqliteConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        if (Kind == "sqlite")
        {
            await using var pragma = connection.CreateCommand();
            // WAL: readers do not block the writer; a crash loses nothing committed. Wait rather than fail when busy.
            pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=5000; PRAGMA foreign_keys=ON;";
            await pragma.ExecuteNonQueryAsync(cancellationToken);
        }
        return connection;
    }

    /// <summary>The schema, created if missing.</summary>
    public string Schema => $"""
        CREATE TABLE IF NOT EXISTS alerts (
          alert_id TEXT PRIMARY KEY,
          terminal_id TEXT NOT NULL,
          terminal_type TEXT NOT NULL,
          locality TEXT,
          owner_bank TEXT,
          lat DOUBLE PRECISION,
          lon DOUBLE PRECISION,
          score DOUBLE PRECISION NOT NULL,
          p_value DOUBLE PRECISION NOT NULL,
          compromised_cards DOUBLE PRECISION NOT NULL,
          exposed_cards BIGINT NOT NULL,
          cards_at_risk BIGINT NOT NULL,
          window_from BIGINT NOT NULL,
          window_to BIGINT NOT NULL,
          first_flagged_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL,
          status TEXT NOT NULL,
          outcome TEXT,
          payload TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS alerts_by_status ON alerts (status, score DESC);
        CREATE INDEX IF NOT EXISTS alerts_by_flagged ON alerts (first_flagged_at DESC);
        CREATE TABLE IF NOT EXISTS alert_history (
          id {(Kind == "postgres" ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT")},
          alert_id TEXT NOT NULL REFERENCES alerts (alert_id),
          at BIGINT NOT NULL,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          from_status TEXT,
          to_status TEXT NOT NULL,
          note TEXT
        );
        CREATE INDEX IF NOT EXISTS history_by_alert ON alert_history (alert_id, id);
        CREATE TABLE IF NOT EXISTS cards_at_risk (
          alert_id TEXT NOT NULL,
          bank_id TEXT NOT NULL,
          card_token TEXT NOT NULL,
          issued_at BIGINT NOT NULL,
          PRIMARY KEY (alert_id, bank_id, card_token)
        );
        CREATE INDEX IF NOT EXISTS cards_by_bank ON cards_at_risk (bank_id, issued_at DESC);
        CREATE TABLE IF NOT EXISTS users (
          name TEXT PRIMARY KEY,
          password_hash TEXT NOT NULL,
          role TEXT NOT NULL,
          bank_id TEXT,
          created_at BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS webhooks (
          id TEXT PRIMARY KEY,
          url TEXT NOT NULL,
          secret TEXT NOT NULL,
          created_at BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
          id {(Kind == "postgres" ? "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT")},
          webhook_id TEXT NOT NULL REFERENCES webhooks (id),
          event TEXT NOT NULL,
          alert_id TEXT NOT NULL,
          payload TEXT NOT NULL,
          created_at BIGINT NOT NULL,
          expires_at BIGINT NOT NULL,
          attempts BIGINT NOT NULL,
          next_attempt_at BIGINT NOT NULL,
          delivered_at BIGINT,
          last_error TEXT
        );
        CREATE INDEX IF NOT EXISTS deliveries_due ON webhook_deliveries (delivered_at, next_attempt_at);
        CREATE TABLE IF NOT EXISTS sessions (
          token_hash TEXT PRIMARY KEY,
          user_name TEXT NOT NULL REFERENCES users (name),
          expires_at BIGINT NOT NULL
        );
        """;
}
