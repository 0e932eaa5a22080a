using SkimGuard.Contracts;
using SkimGuard.Engine.Cpp;

namespace SkimGuard.Engine.Tests;

/// <summary>Keeps every alert state and cards-at-risk list the engine publishes, in order.</summary>
internal sealed class RecordingSink : IAlertSink
{
    public List<AtmAlert> Alerts { get; } = [];
    public List<CardsAtRisk> CardsAtRisk { get; } = [];

    public ValueTask PublishAsync(AtmAlert alert, CancellationToken cancellationToken)
    {
        Alerts.Add(alert);
        return ValueTask.CompletedTask;
    }

    public ValueTask PublishAsync(CardsAtRisk cardsAtRisk, CancellationToken cancellationToken)
    {
        CardsAtRisk.Add(cardsAtRisk);
        return ValueTask.CompletedTask;
    }
}
