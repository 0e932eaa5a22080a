using System.Globalization;
using System.Text;

namespace SkimGuard.Contracts.Registry;

/// <summary>
/// The ATM registry: a CSV file with the header <c>terminal_id,bank_id,name,lat,lon,locality</c> (RFC 4180
/// quoting), loaded into a lookup by terminal id.
/// </summary>
public sealed class AtmRegistry
{
    /// <summary>The header row, in column order.</summary>
    public const string Header = "terminal_id,bank_id,name,lat,lon,locality";

    private readonly Dictionary<string, AtmRecord> _byTerminal;

    /// <summary>Creates a registry of the given ATMs; terminal ids must be unique.</summary>
    public AtmRegistry(IEnumerable<AtmRecord> atms)
    {
        _byTerminal = new Dictionary<string, AtmRecord>(StringComparer.Ordinal);
        foreach (var atm in atms)
        {
            if (!_byTerminal.TryAdd(atm.TerminalId, atm))
                throw new InvalidDataException($"terminal_id {atm.TerminalId} is listed twice");
        }
    }

    /// <summary>An empty registry, for runs without one.</summary>
    public static AtmRegistry Empty { get; } = new([]);

    /// <summary>Every ATM, in no particular order.</summary>
    public IReadOnlyCollection<AtmRecord> All => _byTerminal.Values;

    /// <summary>The ATM with this terminal id, if listed.</summary>
    public AtmRecord? Find(string terminalId) => _byTerminal.GetValueOrDefault(terminalId);

    /// <summary>Reads a registry file. A bad row stops the load with its line number and the reason.</summary>
    public static AtmRegistry Load(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Parse(reader, path);
    }

    /// <summary>Reads a registry from CSV text; <paramref name="source"/> names it in errors.</summary>
    public static AtmRegistry Parse(TextReader reader, string source)
    {
        var header = reader.ReadLine();
        if (header?.Trim() != Header)
            throw new InvalidDataException($"{source}: the first line must be the header '{Header}'");
        var atms = new List<AtmRecord>();
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
                continue;
            var cells = Csv.SplitLine(line);
            if (cells.Count != 6)
                throw new InvalidDataException($"{source}:{lineNumber}: expected 6 columns, found {cells.Count}");
            if (!double.TryParse(cells[3], NumberStyles.Float, CultureInfo.InvariantCulture, out var lat) || lat is < -90 or > 90)
                throw new InvalidDataException($"{source}:{lineNumber}: lat must be a number from -90 to 90");
            if (!double.TryParse(cells[4], NumberStyles.Float, CultureInfo.InvariantCulture, out var lon) || lon is < -180 or > 180)
                throw new InvalidDataException($"{source}:{lineNumber}: lon must be a number from -180 to 180");
            if (cells[0].Length == 0)
                throw new InvalidDataException($"{source}:{lineNumber}: terminal_id must not be empty");
            // The registry is shown to officers and written into case files: a card number has no place in it.
            if (cells.FindIndex(cell => Cards.PanScanner.ContainsPan(cell)) is var withPan and >= 0)
                throw new InvalidDataException($"{source}:{lineNumber}: {Header.Split(',')[withPan]} holds a card number; a registry row may not");
            atms.Add(new AtmRecord(cells[0], cells[1], cells[2], lat, lon, cells[5]));
        }
        return new AtmRegistry(atms);
    }

    /// <summary>Writes the ATMs as a registry file, sorted by terminal id.</summary>
    public static void Save(string path, IEnumerable<AtmRecord> atms)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false)) { NewLine = "\n" };
        writer.WriteLine(Header);
        foreach (var atm in atms.OrderBy(a => a.TerminalId, StringComparer.Ordinal))
        {
            writer.WriteLine(string.Join(',',
                Csv.Quote(atm.TerminalId), Csv.Quote(atm.BankId), Csv.Quote(atm.Name),
                atm.Lat.ToString("0.######", CultureInfo.InvariantCulture),
                atm.Lon.ToString("0.######", CultureInfo.InvariantCulture),
                Csv.Quote(atm.Locality)));
        }
    }
}
