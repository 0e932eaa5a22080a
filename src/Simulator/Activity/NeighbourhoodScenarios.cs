using SkimGuard.Contracts;
using SkimGuard.Simulator.World;

namespace SkimGuard.Simulator.Activity;

/// <summary>
/// The scenario families that live in a neighbourhood: hubs (a mall's shop that the residents of two neighbouring
/// localities use often, near two skimmed ATMs) and unobserved compromise points (a handheld skimmer at a merchant no
/// partner's feed contains, capturing the cards of one locality's residents). Both leave a trace on terminals that
/// carry no skimmer: the hub, and the echo on the neighbourhood's ATMs and shops.
/// </summary>
internal sealed class NeighbourhoodScenarios
{
    private const double HubVisitsPerDay = 0.12;
    private const double UnobservedVisitsPerDay = 0.12;

    private readonly Timeline _timeline;
    private readonly int[][] _residents;
    private readonly int[][] _hubShoppers;

    /// <summary>Each hub's shop (a terminal of the world).</summary>
    public IReadOnlyList<int> HubTerminals { get; }

    /// <summary>For each hub, the ATMs of its locality: where two skimmers go.</summary>
    public IReadOnlyList<int[]> HubAtms { get; }

    /// <summary>The localities of the unobserved compromise points.</summary>
    public IReadOnlyList<int> UnobservedLocalities { get; }

    public NeighbourhoodScenarios(Timeline timeline, int? phishingLocality)
    {
        _timeline = timeline;
        var options = timeline.Options;
        var world = timeline.World;
        var rng = new Rng(options.Seed, stream: 13);
        var stations = world.StationAtms.ToHashSet();
        var free = Enumerable.Range(0, Places.Localities.Length)
            .Where(l => l != phishingLocality && world.LocalAtms[l].Atms.Count(a => !stations.Contains(a)) >= 4)
            .OrderBy(_ => rng.NextDouble())
            .ToList();
        _residents = options.Hubs + options.UnobservedSkimmers > 0 ? world.CardsByHome() : [];
        var hubs = new List<int>();
        var hubAtms = new List<int[]>();
        var shoppers = new List<int[]>();
        for (var h = 0; h < options.Hubs && free.Count > 0; h++)
        {
            var locality = free[0];
            free.RemoveAt(0);
            var place = Places.Localities[locality];
            var neighbour = Enumerable.Range(0, Places.Localities.Length).Where(l => l != locality)
                .MinBy(l => Engine.Cpp.Geo.DistanceKm(place.Lat, place.Lon, Places.Localities[l].Lat, Places.Localities[l].Lon));
            free.Remove(neighbour);
            hubs.Add(world.AddTerminal(new Terminal($"POS-MB-HUB{h + 1}", TerminalType.Pos, "IN", "INR", 100, place.Lat, place.Lon, locality, null,
                $"Mall, {place.Streets[0]}, {place.Name}", 5)));
            hubAtms.Add([.. world.LocalAtms[locality].Atms.Where(a => !stations.Contains(a))]);
            shoppers.Add([.. _residents[locality], .. _residents[neighbour]]);
        }
        HubTerminals = hubs;
        HubAtms = hubAtms;
        _hubShoppers = [.. shoppers];
        UnobservedLocalities = [.. free.Take(options.UnobservedSkimmers)];
    }

    /// <summary>One day: hub shopping, and the unobserved points capturing the cards of their neighbourhoods.</summary>
    public void Day(int day, SkimmingCampaigns skimming)
    {
        if (HubTerminals.Count == 0 && skimming.Unobserved.Count == 0)
            return;
        var rng = new Rng(_timeline.Options.Seed, stream: 30_000UL + (ulong)day);
        for (var h = 0; h < HubTerminals.Count; h++)
            foreach (var card in _hubShoppers[h])
                for (var n = rng.Poisson(HubVisitsPerDay); n > 0; n--)
                {
                    var entry = rng.Chance(0.4) ? EntryMode.Contactless : EntryMode.Chip;
                    _timeline.Plan(_timeline.TimeOfDay(rng, day), card, HubTerminals[h], (long)Math.Max(100, rng.LogNormal(Math.Log(1500), 0.8)) * 100,
                        entry, TxnType.Purchase, approved: rng.Chance(0.98));
                }
        foreach (var point in skimming.Unobserved)
        {
            if (_timeline.DayStart(day + 1) <= point.From.UtcTicks || _timeline.DayStart(day) >= point.To.UtcTicks)
                continue;
            foreach (var card in _residents[point.Locality])
                if (rng.Chance(UnobservedVisitsPerDay))
                    skimming.Capture(rng, card, point, _timeline.TimeOfDay(rng, day));
        }
    }
}
