using Polly;
using Polly.Retry;

namespace SkimGuard.Kafka;

/// <summary>
/// The one retry policy of the services: try again until it works or the service stops, waiting exponentially longer
/// (from 100 ms up to a cap) with jitter, so that replicas that failed together (Redis restarted, the database failed
/// over) do not all come back in the same millisecond.
/// </summary>
public static class RetryBackoff
{
    /// <summary>
    /// A pipeline that retries any exception but cancellation and a fatal Kafka error; <paramref name="onRetry"/> runs
    /// before each wait, with the failure, the attempt number (from 1) and the wait.
    /// </summary>
    public static ResiliencePipeline Forever(TimeSpan maxDelay, Func<Exception, int, TimeSpan, ValueTask> onRetry) =>
        new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not (OperationCanceledException or KafkaFatalException or OutOfMemoryException)),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(100),
            MaxDelay = maxDelay,
            OnRetry = arguments => onRetry(arguments.Outcome.Exception!, arguments.AttemptNumber + 1, arguments.RetryDelay),
        }).Build();
}

/// <summary>A fatal error of a Kafka client: the client is unusable, and the service stops so that it is restarted.</summary>
public sealed class KafkaFatalException(string client, Confluent.Kafka.Error error) : Exception($"{client}: {error.Reason}")
{
    /// <summary>The client's name.</summary>
    public string Client { get; } = client;

    /// <summary>The error librdkafka reported.</summary>
    public Confluent.Kafka.Error Error { get; } = error;
}
