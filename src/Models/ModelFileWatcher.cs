using SkimGuard.Engine.Cpp;

namespace SkimGuard.Models;

/// <summary>
/// The model the engine scores with, taken from one file and swapped when the file changes: a data scientist (or a
/// deployment) replaces models/default.zip and the next transaction is scored by the new model, without a restart.
/// The file is polled (its time and size), which also sees a file moved into place, the safe way to replace it.
/// A file that fails to load leaves the previous model in place and is reported through <see cref="LoadFailed"/>.
/// </summary>
public sealed class ModelFileWatcher : IDisposable
{
    private readonly string _path;
    private readonly Timer _timer;
    private (DateTime Written, long Length) _seen;
    private volatile FraudModel? _current;

    /// <summary>Loads the file now (it must load) and polls it every <paramref name="pollInterval"/>.</summary>
    public ModelFileWatcher(string path, TimeSpan pollInterval)
    {
        _path = Path.GetFullPath(path);
        _seen = Stamp();
        _current = FraudModel.Load(_path);
        _timer = new Timer(_ => Poll(), null, pollInterval, pollInterval);
    }

    /// <summary>Raised after a new model replaced the old one.</summary>
    public event Action<FraudModel>? Loaded;

    /// <summary>Raised when a changed file could not be loaded (the previous model stays).</summary>
    public event Action<string, Exception>? LoadFailed;

    /// <summary>The model scoring now.</summary>
    public FraudModel Current => _current!;

    /// <summary>The model as the engine takes it.</summary>
    public ITransactionScorer? Scorer() => _current;

    /// <summary>Checks the file once (the timer does this; tests call it to avoid waiting).</summary>
    public bool Poll()
    {
        var stamp = Stamp();
        if (stamp == _seen || stamp.Length == 0)
            return false;
        try
        {
            var model = FraudModel.Load(_path);
            _seen = stamp;
            _current = model;
            Loaded?.Invoke(model);
            return true;
        }
        catch (Exception e)
        {
            // Whatever is wrong with the new file (half written, another schema, not a model at all), the model in use
            // keeps scoring; and an exception must not escape a timer callback, which would end the process.
            _seen = stamp; // report a bad file once, not at every poll
            LoadFailed?.Invoke(_path, e);
            return false;
        }
    }

    private (DateTime Written, long Length) Stamp()
    {
        var file = new FileInfo(_path);
        return file.Exists ? (file.LastWriteTimeUtc, file.Length) : (default, 0);
    }

    /// <inheritdoc/>
    public void Dispose() => _timer.Dispose();
}
