namespace SkimGuard.Cli;

/// <summary>
/// A progress bar on standard error: redrawn in place on a terminal, a plain line every few seconds when the output
/// goes to a file or CI log.
/// </summary>
internal sealed class ConsoleProgress(string label) : IDisposable
{
    private const int Width = 30;
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(5);
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private DateTime _lastLine = DateTime.MinValue;
    private bool _drawn;

    public void Update(double fraction, string detail)
    {
        fraction = Math.Clamp(fraction, 0, 1);
        var filled = (int)(fraction * Width);
        var line = $"{label} [{new string('#', filled)}{new string('.', Width - filled)}] {fraction,4:P0} {detail}";
        if (_interactive)
        {
            Console.Error.Write($"\r{line}\u001b[K");
            _drawn = true;
        }
        else if (DateTime.UtcNow - _lastLine >= LogInterval)
        {
            Console.Error.WriteLine(line);
            _lastLine = DateTime.UtcNow;
        }
    }

    public void Finish()
    {
        if (_drawn)
            Console.Error.WriteLine();
        _drawn = false;
    }

    public void Dispose() => Finish();
}
