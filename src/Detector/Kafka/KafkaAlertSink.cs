using System.Text.Json;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Json;
using SkimGuard.Engine.Cpp;

namespace SkimGuard.Detector.Kafka;

/// <summary>
/// Produces the engine's findings: each alert state to the alerts topic keyed by terminal (so a terminal's states stay
/// in order), each bank's cards at risk keyed by bank. Deliveries are awaited at <see cref="FlushAsync"/>, before the
/// batch that raised them is committed: an alert is never lost to a crash, at worst sent twice with the same content.
/// </summary>
internal sealed class KafkaAlertSink(IProducer<string, byte[]> producer, DetectorOptions options) : IAlertSink
{
    private readonly List<Task> _deliveries = [];

    /// <summary>Alerts raised or updated, for the metrics.</summary>
    public event Action<AtmAlert>? AlertPublished;

    /// <summary>Cards-at-risk messages, for the metrics.</summary>
    public event Action<CardsAtRisk>? CardsAtRiskPublished;

    /// <inheritdoc />
    public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken)
    {
        _deliveries.Add(producer.ProduceAsync(options.AlertsTopic, new Message<string, byte[]>
        {
            Key = alert.TerminalId,
            Value = JsonSerializer.SerializeToUtf8Bytes(alert, ContractsJsonContext.Default.AtmAlert),
        }, cancellationToken));
        AlertPublished?.Invoke(alert);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken)
    {
        _deliveries.Add(producer.ProduceAsync(options.CardsAtRiskTopic, new Message<string, byte[]>
        {
            Key = cardsAtRisk.BankId,
            Value = JsonSerializer.SerializeToUtf8Bytes(cardsAtRisk, ContractsJsonContext.Default.CardsAtRisk),
        }, cancellationToken));
        CardsAtRiskPublished?.Invoke(cardsAtRisk);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
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
