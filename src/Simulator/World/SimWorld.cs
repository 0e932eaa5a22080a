using System.Globalization;
using SkimGuard.Contracts;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Registry;

namespace SkimGuard.Simulator.World;

/// <summary>
/// The terminals and cards of one simulated Mira-Bhayander, built from the seed: ATMs of several banks in every
/// locality (two very busy ones at the railway stations), shops, online merchants, and ATMs and shops in the cities
/// residents travel to and gangs cash out in.
/// </summary>
internal sealed class SimWorld
{
    public List<Terminal> Terminals { get; } = [];
    public List<Card> Cards { get; } = [];
    /// <summary>Per locality: its ATMs and the cumulative popularity to draw one.</summary>
    public (int[] Atms, double[] Weights)[] LocalAtms { get; }
    public (int[] Pos, double[] Weights)[] LocalPos { get; }
    public int[] StationAtms { get; }
    public int[] EcomMerchants { get; }
    /// <summary>The banks' online transfer channel, where account takeovers move money.</summary>
    public int TransferChannel { get; }
    public int[][] TravelAtms { get; }
    public int[][] TravelPos { get; }
    public int[][] CashoutAtms { get; }
    /// <summary>ATMs of non-partner banks in Indian cities: in no registry and without coordinates (empty unless used).</summary>
    public int[] UnlistedAtms { get; }
    /// <summary>The banks whose feeds reach SkimGuard (every bank unless coverage is partial).</summary>
    public IReadOnlySet<string> PartnerBanks { get; }

    private readonly SimulationOptions _options;
    private readonly double[] _bankShares = Cumulative(Places.Banks.Select(b => b.Share));
    private readonly double[] _populations = Cumulative(Places.Localities.Select(l => l.Population));

    public SimWorld(SimulationOptions options)
    {
        _options = options;
        var rng = new Rng(options.Seed, stream: 1);
        StationAtms = AddStationAtms(rng);
        LocalAtms = AddLocalAtms(rng, options.Atms - StationAtms.Length);
        LocalPos = AddLocalPos(rng, Math.Clamp(options.Cards / 40, 200, 20_000));
        EcomMerchants = [.. Enumerable.Range(1, 60).Select(i => Add(new Terminal($"ECM-{i:D4}", TerminalType.Ecom, "IN", "INR", 100, null, null, -1, null, null, rng.LogNormal(0, 1)))) ];
        TransferChannel = Add(new Terminal("NETBANKING-IMPS", TerminalType.Ecom, "IN", "INR", 100, null, null, -1, null, "Online transfers", 1));
        TravelAtms = [.. Places.TravelCities.Select(c => AddCityTerminals(rng, c, TerminalType.Atm, 30))];
        TravelPos = [.. Places.TravelCities.Select(c => AddCityTerminals(rng, c, TerminalType.Pos, 60))];
        CashoutAtms = [.. Places.CashoutCities.Select(c => AddCityTerminals(rng, c, TerminalType.Atm, 25))];
        var tokenizer = CardTokenizer.FromSecretText(options.TokenSecret);
        for (var i = 0; i < options.Cards; i++)
            Cards.Add(NewCard(rng, tokenizer, i));
        // The scenario families' terminals and partners come last, from streams of their own: the original world is unchanged.
        UnlistedAtms = options.UnlistedCashoutShare > 0 ? AddUnlistedAtms() : [];
        PartnerBanks = ChoosePartners(new Rng(options.Seed, stream: 12), options.PartnerShare);
    }

    /// <summary>Adds a terminal that a scenario needs (a hub's shop) and returns its index.</summary>
    public int AddTerminal(Terminal terminal) => Add(terminal);

    /// <summary>Each locality's residents' cards (by home), for activity that happens in one neighbourhood.</summary>
    public int[][] CardsByHome() =>
        [.. Enumerable.Range(0, Places.Localities.Length).Select(l => Enumerable.Range(0, Cards.Count).Where(c => Cards[c].Home == l).ToArray())];

    private int[] AddUnlistedAtms() =>
    [
        .. Places.CashoutCities.Where(c => c.Country == "IN").SelectMany(city => Enumerable.Range(1, 10).Select(i =>
            Add(new Terminal($"ATM-NP-{city.Code}-{i:D3}", TerminalType.Atm, "IN", "INR", 100, null, null, -1, null, null, 1)))),
    ];

    /// <summary>Banks in a seeded order until their cards' share reaches <paramref name="share"/>.</summary>
    private static HashSet<string> ChoosePartners(Rng rng, double share)
    {
        if (share >= 1)
            return [.. Places.Banks.Select(b => b.Id)];
        var order = Places.Banks.OrderBy(_ => rng.NextDouble()).ToList();
        var partners = new HashSet<string>();
        var covered = 0.0;
        foreach (var bank in order)
        {
            if (covered >= share)
                break;
            partners.Add(bank.Id);
            covered += bank.Share;
        }
        return partners;
    }

    /// <summary>The PAN of card <paramref name="index"/>: its bank's BIN, the index scrambled to nine digits, a Luhn digit.
    /// Recomputed on demand and never stored or written, as a real edge would discard it.</summary>
    public string PanOf(int index) => PanFor(Cards[index].Bin, index);

    private string PanFor(string bin, int index)
    {
        // 738,219,437 is coprime with 10^9, so the scramble is a bijection: every card gets its own PAN.
        var body = ((ulong)index * 738_219_437UL + _options.Seed) % 1_000_000_000UL;
        var payload = bin + body.ToString("D9", CultureInfo.InvariantCulture);
        return payload + Luhn.CheckDigit(payload);
    }

    /// <summary>The ATM registry rows of Mira-Bhayander's ATMs.</summary>
    public IEnumerable<AtmRecord> Registry() => Terminals
        .Where(t => t.IsLocalAtm)
        .Select(t => new AtmRecord(t.Id, t.BankId!, t.Name!, t.Lat!.Value, t.Lon!.Value, Places.Localities[t.Locality].Name));

    private int[] AddStationAtms(Rng rng) =>
    [
        .. Places.Stations.Select((station, i) =>
        {
            var bank = Places.Banks[i];
            var locality = Array.FindIndex(Places.Localities, l => l.Name == station.Locality);
            return Add(new Terminal($"ATM-MB-S{i + 1}", TerminalType.Atm, "IN", "INR", 100, station.Lat, station.Lon, locality,
                bank.Id, $"{bank.Name} ATM, {station.Name}", Popularity: 8 + rng.NextDouble()));
        }),
    ];

    private (int[], double[])[] AddLocalAtms(Rng rng, int count)
    {
        var perLocality = Places.Localities.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < count; i++)
        {
            var locality = rng.Weighted(_populations);
            var place = Places.Localities[locality];
            var bank = Places.Banks[rng.Weighted(_bankShares)];
            var (lat, lon) = Near(rng, place.Lat, place.Lon, 0.004);
            var name = $"{bank.Name} ATM, {rng.Pick(place.Streets)}, {place.Name}";
            perLocality[locality].Add(Add(new Terminal($"ATM-MB-{i + 1:D4}", TerminalType.Atm, "IN", "INR", 100, lat, lon, locality, bank.Id, name, rng.LogNormal(0, 0.5))));
        }
        return ByLocality(perLocality);
    }

    /// <summary>
    /// Each locality's terminals with their popularity weights. A small locality can draw none at all: its residents
    /// then use the nearest locality's (no random draw, so a world in which every locality has some is unchanged).
    /// </summary>
    private (int[], double[])[] ByLocality(List<int>[] perLocality) =>
    [
        .. perLocality.Select((list, locality) => list.Count > 0 ? list : perLocality[NearestServed(locality, perLocality)])
            .Select(list => (list.ToArray(), Cumulative(list.Select(t => Terminals[t].Popularity)))),
    ];

    private static int NearestServed(int locality, List<int>[] perLocality)
    {
        var from = Places.Localities[locality];
        return Enumerable.Range(0, perLocality.Length)
            .Where(other => perLocality[other].Count > 0)
            .MinBy(other => Engine.Cpp.Geo.DistanceKm(from.Lat, from.Lon, Places.Localities[other].Lat, Places.Localities[other].Lon));
    }

    private (int[], double[])[] AddLocalPos(Rng rng, int count)
    {
        var perLocality = Places.Localities.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < count; i++)
        {
            var locality = rng.Weighted(_populations);
            var place = Places.Localities[locality];
            var (lat, lon) = Near(rng, place.Lat, place.Lon, 0.005);
            perLocality[locality].Add(Add(new Terminal($"POS-MB-{i + 1:D5}", TerminalType.Pos, "IN", "INR", 100, lat, lon, locality, null, null, rng.LogNormal(0, 1))));
        }
        return ByLocality(perLocality);
    }

    private int[] AddCityTerminals(Rng rng, City city, TerminalType type, int count) =>
    [
        .. Enumerable.Range(1, count).Select(i =>
        {
            var (lat, lon) = Near(rng, city.Lat, city.Lon, 0.05);
            var prefix = type == TerminalType.Atm ? "ATM" : "POS";
            return Add(new Terminal($"{prefix}-{city.Code}-{i:D3}", type, city.Country, city.Currency, city.MinorPerRupee, lat, lon, -1, null, null, 1));
        }),
    ];

    private Card NewCard(Rng rng, CardTokenizer tokenizer, int index)
    {
        var bank = Places.Banks[rng.Weighted(_bankShares)];
        var home = rng.Weighted(_populations);
        var work = rng.Chance(0.6) ? home : rng.Weighted(_populations);
        var favourites = new List<int>
        {
            LocalAtms[home].Atms[rng.Weighted(LocalAtms[home].Weights)],
            LocalAtms[home].Atms[rng.Weighted(LocalAtms[home].Weights)],
            LocalAtms[work].Atms[rng.Weighted(LocalAtms[work].Weights)],
        };
        // Commuters draw cash at the station on the way to the train: these two ATMs see the most cards in town.
        if (rng.Chance(0.3))
            favourites.Add(StationAtms[rng.Next(StationAtms.Length)]);
        var tokenized = tokenizer.Tokenize(PanFor(bank.Bin, index));
        return new Card
        {
            Token = tokenized.Token,
            Bin = tokenized.Bin,
            Last4 = tokenized.Last4,
            BankId = bank.Id,
            Home = home,
            Work = work,
            FavouriteAtms = [.. favourites.Distinct()],
            AtmRate = 0.12 * rng.LogNormal(-0.1, 0.45),
            PosRate = 0.5 * rng.LogNormal(-0.2, 0.6),
            EcomRate = 0.08 * rng.LogNormal(-0.3, 0.8),
        };
    }

    private int Add(Terminal terminal)
    {
        Terminals.Add(terminal);
        return Terminals.Count - 1;
    }

    private static (double Lat, double Lon) Near(Rng rng, double lat, double lon, double spread) =>
        (Math.Round(lat + rng.Uniform(-spread, spread), 6), Math.Round(lon + rng.Uniform(-spread, spread), 6));

    internal static double[] Cumulative(IEnumerable<double> weights)
    {
        var list = new List<double>();
        var sum = 0.0;
        foreach (var w in weights)
            list.Add(sum += w);
        return [.. list];
    }
}
