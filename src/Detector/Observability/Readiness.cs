using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace SkimGuard.Detector.Observability;

/// <summary>
/// What /health/ready reports: ready once the consumer has partitions assigned and the last batch reached the store
/// (Redis reachable). /health/live only says the process answers.
/// </summary>
public sealed class Readiness : IHealthCheck
{
    private volatile int _assignedPartitions;
    private volatile bool _storeReachable;
    private volatile string _lastProblem = "starting";

    /// <summary>Partitions this replica holds.</summary>
    public int AssignedPartitions
    {
        get => _assignedPartitions;
        set => _assignedPartitions = value;
    }

    /// <summary>Marks the store reachable (a batch committed) or not, with the reason.</summary>
    public void StoreReachable(bool reachable, string problem = "")
    {
        _storeReachable = reachable;
        _lastProblem = problem;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_assignedPartitions == 0)
            return Task.FromResult(HealthCheckResult.Unhealthy("no partitions assigned yet"));
        return Task.FromResult(_storeReachable
            ? HealthCheckResult.Healthy($"{_assignedPartitions} partitions assigned, store reachable")
            : HealthCheckResult.Unhealthy($"store unreachable: {_lastProblem}"));
    }
}
