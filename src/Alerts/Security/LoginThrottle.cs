using System.Threading.RateLimiting;

namespace SkimGuard.Alerts.Security;

/// <summary>
/// Failed sign-ins counted per account and per address in fixed windows (the framework's rate limiter). Past the limit
/// an attempt is refused before the password is hashed: a guessing run can neither go on nor load the service with
/// 600,000-iteration hashes. A success does not count.
/// </summary>
public sealed class LoginThrottle(AlertsOptions options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetFixedWindowLimiter(key,
        _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = key.StartsWith("address:", StringComparison.Ordinal) ? options.LoginFailuresAllowed * 3 : options.LoginFailuresAllowed,
            Window = TimeSpan.FromSeconds(options.LoginLockoutSeconds),
            QueueLimit = 0,
        }));

    /// <summary>How long until the account or address may try again; null when it may now.</summary>
    public TimeSpan? LockedFor(string account, string? address)
    {
        // Asking for no permit says whether any are left, and takes none.
        foreach (var key in Keys(account, address))
        {
            using var lease = _failures.AttemptAcquire(key, 0);
            if (!lease.IsAcquired)
                return TimeSpan.FromSeconds(options.LoginLockoutSeconds);
        }
        return null;
    }

    /// <summary>Counts a failed sign-in against the account and the address.</summary>
    public void Failed(string account, string? address)
    {
        foreach (var key in Keys(account, address))
            _failures.AttemptAcquire(key).Dispose();
    }

    private static IEnumerable<string> Keys(string account, string? address) =>
        ["account:" + account.ToLowerInvariant(), "address:" + (address ?? "unknown")];

    public void Dispose() => _failures.Dispose();
}
