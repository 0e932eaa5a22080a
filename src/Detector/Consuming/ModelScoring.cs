using SkimGuard.Detector.Observability;
using SkimGuard.Engine.Features;
using SkimGuard.Models;

namespace SkimGuard.Detector.Consuming;

/// <summary>
/// The detector's fraud scoring: the model file, watched for replacements, and the feature windows, which live as long
/// as the process (like the in-process window store they sit beside). Without Detector:ModelPath nothing is scored.
/// </summary>
public sealed partial class ModelScoring : IDisposable
{
    private readonly ModelFileWatcher? _watcher;

    public ModelScoring(DetectorOptions options, DetectorMetrics metrics, ILogger<ModelScoring> logger)
    {
        if (string.IsNullOrEmpty(options.ModelPath))
        {
            metrics.Model.WithLabels("none").Set(1);
            return;
        }
        _watcher = new ModelFileWatcher(options.ModelPath, TimeSpan.FromSeconds(options.ModelPollSeconds));
        Scoring = new FraudScoring(_watcher.Scorer);
        var shown = _watcher.Current.Version;
        metrics.Model.WithLabels(shown).Set(1);
        LogModel(logger, shown, options.ModelPath);
        _watcher.Loaded += model =>
        {
            metrics.Model.WithLabels(shown).Set(0);
            metrics.Model.WithLabels(shown = model.Version).Set(1);
            metrics.ModelReloads.WithLabels("loaded").Inc();
            LogReloaded(logger, model.Version);
        };
        _watcher.LoadFailed += (path, e) =>
        {
            metrics.ModelReloads.WithLabels("refused").Inc();
            LogRefused(logger, path, e.Message, shown);
        };
    }

    /// <summary>The scoring the engine runs, or null without a model.</summary>
    public FraudScoring? Scoring { get; }

    public void Dispose() => _watcher?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "Scoring every transaction with model {Version} from {Path}")]
    private static partial void LogModel(ILogger logger, string version, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "New model {Version} taken up; the next transaction is scored with it")]
    private static partial void LogReloaded(ILogger logger, string version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Model file {Path} could not be loaded ({Reason}); still scoring with {Version}")]
    private static partial void LogRefused(ILogger logger, string path, string reason, string version);
}
