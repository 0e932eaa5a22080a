using System.Security.Cryptography;
using System.Text;

namespace SkimGuard.Ingest.Api;

/// <summary>
/// Finds the bank behind an API key. Only SHA-256 hashes of keys are configured, so the configuration holds nothing
/// that would let anyone send as a bank; a presented key is hashed and compared in constant time.
/// </summary>
public sealed class ApiKeys
{
    private readonly List<(byte[] Hash, string Bank, bool Revoked)> _keys;

    public ApiKeys(IngestOptions options) =>
        _keys = [.. options.Banks.SelectMany(b =>
            b.Value.ApiKeyHashes.Select(h => (Convert.FromHexString(h), b.Key, false))
                .Concat(b.Value.RevokedKeyHashes.Select(h => (Convert.FromHexString(h), b.Key, true))))];

    /// <summary>The hash to configure for a key.</summary>
    public static string HashOf(string apiKey) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(apiKey)));

    /// <summary>The bank whose key this is, or why there is none.</summary>
    public bool TryAuthenticate(string? apiKey, out string bank, out string problem)
    {
        bank = "";
        if (string.IsNullOrEmpty(apiKey))
        {
            problem = "no API key: send it in the X-Api-Key header";
            return false;
        }
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(apiKey));
        foreach (var key in _keys)
        {
            if (!CryptographicOperations.FixedTimeEquals(hash, key.Hash))
                continue;
            if (key.Revoked)
            {
                problem = "this API key has been revoked: use the bank's current key";
                return false;
            }
            bank = key.Bank;
            problem = "";
            return true;
        }
        problem = "unknown API key";
        return false;
    }
}
