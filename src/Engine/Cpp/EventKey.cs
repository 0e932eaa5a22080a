using System.IO.Hashing;
using System.Runtime.InteropServices;
using SkimGuard.Contracts;

namespace SkimGuard.Engine.Cpp;

/// <summary>
/// The identity of an event for idempotency: a bank's transaction id or report id is unique per bank. A struct, so
/// the in-process store can hash it without building a string for every event.
/// </summary>
/// <param name="Kind">'t' for a transaction, 'r' for a fraud report.</param>
/// <param name="BankId">The bank.</param>
/// <param name="Id">The bank's id of the record.</param>
public readonly record struct EventKey(char Kind, string BankId, string Id)
{
    /// <summary>The key of a transaction.</summary>
    public static EventKey Of(Transaction tx) => new('t', tx.BankId, tx.TxnId);

    /// <summary>The key of a fraud report.</summary>
    public static EventKey Of(FraudReport report) => new('r', report.BankId, report.ReportId);

    /// <summary>"t|bank|id": the key as text, for stores that keep strings.</summary>
    public override string ToString() => $"{Kind}|{BankId}|{Id}";

    /// <summary>A 64-bit hash of the three parts (a collision among a week's keys is about one in a million million).</summary>
    public ulong Hash64()
    {
        var length = BankId.Length + Id.Length + 3;
        Span<char> text = length <= 256 ? stackalloc char[length] : new char[length];
        text[0] = Kind;
        text[1] = '|';
        BankId.CopyTo(text[2..]);
        text[2 + BankId.Length] = '|';
        Id.CopyTo(text[(3 + BankId.Length)..]);
        return XxHash3.HashToUInt64(MemoryMarshal.AsBytes(text));
    }
}
