using System.Text;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Validation;

namespace SkimGuard.Kafka;

/// <summary>
/// Sends a message that cannot be used to the rejected topic: the original bytes (any card number in them masked;
/// only the start of one too large to forward) with the reasons and the source in headers. Deliveries are awaited before the source offset is stored, so a
/// rejected message is never lost either.
/// </summary>
public sealed class RejectedMessages(IProducer<string, byte[]> producer, string rejectedTopic, int maxKeptBytes)
{
    private readonly List<Task> _deliveries = [];

    /// <summary>Queues a rejection.</summary>
    public void Reject(ConsumeResult<string, byte[]> source, IReadOnlyList<ValidationProblem> problems)
    {
        var headers = new Headers
        {
            { RejectedHeaders.Reason, Encoding.UTF8.GetBytes(string.Join("; ", problems)) },
            { RejectedHeaders.Codes, Encoding.UTF8.GetBytes(string.Join(',', problems.Select(p => p.Code).Distinct())) },
            { RejectedHeaders.Source, Encoding.UTF8.GetBytes($"{source.Topic}/{source.Partition.Value}/{source.Offset.Value}") },
        };
        var original = source.Message.Value ?? [];
        if (original.Length > maxKeptBytes)
        {
            headers.Add(RejectedHeaders.TruncatedFrom, Encoding.UTF8.GetBytes(original.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            original = original[..maxKeptBytes];
        }
        _deliveries.Add(producer.ProduceAsync(rejectedTopic, new Message<string, byte[]>
        {
            Key = source.Message.Key is { } key ? Encoding.UTF8.GetString(PanScanner.MaskPans(Encoding.UTF8.GetBytes(key))) : null!,
            Value = PanScanner.MaskPans(original),
            Headers = headers,
        }));
    }

    /// <summary>Waits for every queued rejection to be acknowledged.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Task.WhenAll(_deliveries).WaitAsync(cancellationToken);
        }
        finally
        {
            _deliveries.Clear();
        }
    }
}
