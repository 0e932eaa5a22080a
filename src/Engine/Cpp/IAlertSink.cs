using SkimGuard.Contracts;

namespace SkimGuard.Engine.Cpp;

/// <summary>Where the engine's findings go: a Kafka producer in the detector, files in a backtest.</summary>
public interface IAlertSink
{
    /// <summary>The newest state of an alert.</summary>
    ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken);

    /// <summary>One bank's cards at risk for an alert.</summary>
    ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken);

    /// <summary>Waits until everything published so far is durable (for Kafka: acknowledged by the brokers).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
