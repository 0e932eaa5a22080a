using SkimGuard.Contracts.Cards;

namespace SkimGuard.Contracts.Validation;

/// <summary>What a reader needs to know about where a record came from.</summary>
public sealed record ReadContext
{
    /// <summary>How far ahead of the clock a timestamp may be (terminal clocks drift).</summary>
    public static readonly TimeSpan DefaultClockSkew = TimeSpan.FromMinutes(15);

    /// <summary>The clock that decides what "in the future" means.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>
    /// The bank the sender authenticated as, at the edge. When set, it fills an absent bank_id and a record
    /// naming another bank is rejected. When null (an internal topic), bank_id is required.
    /// </summary>
    public string? AuthenticatedBankId { get; init; }

    /// <summary>
    /// At the edge, the tokeniser that turns a "pan" field into a card token. When null, a "pan" field is
    /// rejected: card numbers never travel past the edge.
    /// </summary>
    public CardTokenizer? Tokenizer { get; init; }

    /// <summary>How far ahead of <see cref="Clock"/> a timestamp may be.</summary>
    public TimeSpan ClockSkew { get; init; } = DefaultClockSkew;

    /// <summary>For trusted internal topics and files: no bank, no tokeniser, the system clock.</summary>
    public static ReadContext Internal { get; } = new();
}
