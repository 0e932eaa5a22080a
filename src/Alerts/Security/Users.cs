using System.Security.Cryptography;
using System.Text;
using SkimGuard.Alerts.Store;

namespace SkimGuard.Alerts.Security;

/// <summary>The roles: what each may do.</summary>
public static class Roles
{
    /// <summary>Accounts and everything an officer does.</summary>
    public const string Admin = "admin";

    /// <summary>Triage: acknowledge, dispatch, resolve; all cards at risk.</summary>
    public const string Officer = "officer";

    /// <summary>Reads alerts, exports and reports.</summary>
    public const string Viewer = "viewer";

    /// <summary>A partner bank's user: its own cards at risk and the alerts they belong to, nothing else.</summary>
    public const string Bank = "bank";

    public static readonly string[] All = [Admin, Officer, Viewer, Bank];
}

/// <summary>A signed-in user.</summary>
public sealed record User(string Name, string Role, string? BankId);

/// <summary>
/// Accounts and sessions. Passwords are kept as PBKDF2-SHA256 (600,000 iterations, per-user salt); a session is a random
/// 256-bit token in an HttpOnly cookie, kept as its SHA-256 hash, and expires.
/// </summary>
public sealed class Users(AlertStore store, TimeProvider clock)
{
    private const int Iterations = 600_000;
    private static readonly Lazy<string> UnknownUserHash = new(() => Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    /// <summary>Creates a user; the reason when it cannot be.</summary>
    public async Task<string?> CreateAsync(string name, string password, string role, string? bankId, CancellationToken cancellationToken = default)
    {
        if (name.Length is < 2 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@'))
            return "name: 2 to 64 letters, digits, '.', '_', '-' or '@'";
        if (password.Length < 12)
            return "password: at least 12 characters";
        if (!Roles.All.Contains(role))
            return $"role: one of {string.Join(", ", Roles.All)}";
        if ((role == Roles.Bank) != (bankId is { Length: > 0 }))
            return "bank_id: required for a bank user, and only for one";
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        var added = await AlertStore.ExecuteAsync(connection, """
            INSERT INTO users (name, password_hash, role, bank_id, created_at) VALUES (@name, @hash, @role, @bank, @at) ON CONFLICT (name) DO NOTHING
            """, new() { ["name"] = name, ["hash"] = Hash(password), ["role"] = role, ["bank"] = bankId, ["at"] = clock.GetUtcNow().ToUnixTimeMilliseconds() }, cancellationToken);
        return added == 1 ? null : $"a user named {name} exists";
    }

    /// <summary>Deletes a user and ends their sessions at once; false when there was no such user.</summary>
    public async Task<bool> DeleteAsync(string name, CancellationToken cancellationToken = default)
    {
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await AlertStore.ExecuteAsync(connection, "DELETE FROM sessions WHERE user_name = @name", new() { ["name"] = name }, cancellationToken, transaction);
        var deleted = await AlertStore.ExecuteAsync(connection, "DELETE FROM users WHERE name = @name", new() { ["name"] = name }, cancellationToken, transaction);
        await transaction.CommitAsync(cancellationToken);
        return deleted == 1;
    }

    /// <summary>Whether any user exists (the first administrator is created when none does).</summary>
    public async Task<bool> AnyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        return await AlertStore.ScalarAsync(connection, null, "SELECT COUNT(*) FROM users", [], cancellationToken) is { } count && Convert.ToInt64(count, System.Globalization.CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Every user, without password hashes.</summary>
    public async Task<List<User>> ListAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        await using var command = AlertStore.Command(connection, "SELECT name, role, bank_id FROM users ORDER BY name", []);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var users = new List<User>();
        while (await reader.ReadAsync(cancellationToken))
            users.Add(new User(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)));
        return users;
    }

    /// <summary>Checks a password and opens a session: the cookie token, or null.</summary>
    public async Task<(string Token, User User)?> SignInAsync(string name, string password, TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        string? stored = null, role = null, bank = null;
        await using (var command = AlertStore.Command(connection, "SELECT password_hash, role, bank_id FROM users WHERE name = @name", new() { ["name"] = name }))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
                (stored, role, bank) = (reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }
        // Verify even for an unknown name, against a hash of the same cost, so that timing does not tell which names exist.
        var ok = Verify(password, stored ?? UnknownUserHash.Value);
        if (!ok || stored is null)
            return null;
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        await AlertStore.ExecuteAsync(connection, "INSERT INTO sessions (token_hash, user_name, expires_at) VALUES (@hash, @name, @expires)",
            new() { ["hash"] = TokenHash(token), ["name"] = name, ["expires"] = (clock.GetUtcNow() + lifetime).ToUnixTimeMilliseconds() }, cancellationToken);
        return (token, new User(name, role!, bank));
    }

    /// <summary>The user of a live session, or null.</summary>
    public async Task<User?> FindSessionAsync(string? token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 100)
            return null;
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        await using var command = AlertStore.Command(connection, """
            SELECT u.name, u.role, u.bank_id FROM sessions s JOIN users u ON u.name = s.user_name WHERE s.token_hash = @hash AND s.expires_at > @now
            """, new() { ["hash"] = TokenHash(token), ["now"] = clock.GetUtcNow().ToUnixTimeMilliseconds() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? new User(reader.GetString(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2)) : null;
    }

    /// <summary>Ends a session.</summary>
    public async Task SignOutAsync(string token, CancellationToken cancellationToken = default)
    {
        await using var connection = await store.Database.OpenAsync(cancellationToken);
        await AlertStore.ExecuteAsync(connection, "DELETE FROM sessions WHERE token_hash = @hash", new() { ["hash"] = TokenHash(token) }, cancellationToken);
    }

    internal static string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(password, salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256${Iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    internal static bool Verify(string password, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != "pbkdf2-sha256")
            return false;
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(password, Convert.FromBase64String(parts[2]), int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    private static string TokenHash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
