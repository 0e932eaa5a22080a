namespace SkimGuard.Simulator.World;

/// <summary>A neighbourhood of Mira-Bhayander: its centre, how many people live there, a few street names.</summary>
internal sealed record Locality(string Name, double Lat, double Lon, double Population, string[] Streets);

/// <summary>An issuing bank: its id on the wire, its display name, a BIN, its share of cards and of ATMs.</summary>
internal sealed record Bank(string Id, string Name, string Bin, double Share);

/// <summary>A place far from Mira-Bhayander where cards travel or clones are cashed out.</summary>
internal sealed record City(string Code, string Name, string Country, string Currency, double Lat, double Lon, double MinorPerRupee);

/// <summary>The fixed geography of the simulated world. Coordinates lie inside 19.27-19.33 N, 72.84-72.88 E.</summary>
internal static class Places
{
    public static readonly Locality[] Localities =
    [
        new("Bhayander West", 19.3030, 72.8490, 1.4, ["Station Road", "Maxus Mall Road", "Devchand Nagar", "Jesal Park"]),
        new("Bhayander East", 19.3050, 72.8580, 1.3, ["Navghar Road", "Phatak Road", "Goddev Road", "B P Road"]),
        new("Navghar", 19.3010, 72.8650, 0.9, ["Navghar Naka", "Indralok Phase 3", "Tembha Road"]),
        new("Indralok", 19.2950, 72.8620, 0.8, ["Indralok Phase 1", "Indralok Phase 6", "Navghar Road"]),
        new("Mira Road East", 19.2810, 72.8690, 1.5, ["Station Road", "Shanti Nagar", "Poonam Sagar", "Hatkesh"]),
        new("Shanti Nagar", 19.2780, 72.8740, 0.9, ["Sector 1", "Sector 5", "Sector 9"]),
        new("Kanakia", 19.2860, 72.8740, 0.7, ["Kanakia Road", "Cinemax Road", "Silver Park"]),
        new("Beverly Park", 19.2900, 72.8690, 0.6, ["Beverly Park Road", "Sheetal Nagar", "Pleasant Park"]),
        new("Poonam Sagar", 19.2920, 72.8740, 0.6, ["Poonam Sagar Complex", "Hatkesh Udyog Nagar"]),
        new("Kashimira", 19.2760, 72.8620, 0.8, ["Kashimira Naka", "Western Express Highway", "Mira Gaon"]),
        new("Golden Nest", 19.3110, 72.8620, 0.5, ["Golden Nest Phase 1", "Golden Nest Circle"]),
        new("Uttan Road", 19.3180, 72.8460, 0.4, ["Uttan Road", "Bhayander Creek", "Dongri"]),
        new("Ghodbunder", 19.3240, 72.8740, 0.3, ["Ghodbunder Village", "Fountain Hotel Junction"]),
    ];

    /// <summary>The railway stations: one ATM at each is the busiest in town and must never be flagged for it.</summary>
    public static readonly (string Name, string Locality, double Lat, double Lon)[] Stations =
    [
        ("Bhayander Station", "Bhayander West", 19.3110, 72.8520),
        ("Mira Road Station", "Mira Road East", 19.2810, 72.8560),
    ];

    public static readonly Bank[] Banks =
    [
        new("sbi", "State Bank of India", "459150", 0.26),
        new("hdfc", "HDFC Bank", "485446", 0.18),
        new("icici", "ICICI Bank", "437748", 0.15),
        new("axis", "Axis Bank", "471865", 0.10),
        new("bob", "Bank of Baroda", "608001", 0.09),
        new("kotak", "Kotak Mahindra Bank", "416644", 0.08),
        new("pnb", "Punjab National Bank", "508547", 0.07),
        new("union", "Union Bank of India", "652150", 0.07),
    ];

    /// <summary>Where residents travel (and use their cards, by chip).</summary>
    public static readonly City[] TravelCities =
    [
        new("BOM", "Mumbai", "IN", "INR", 19.0760, 72.8777, 100),
        new("PNQ", "Pune", "IN", "INR", 18.5204, 73.8567, 100),
        new("GOI", "Goa", "IN", "INR", 15.4909, 73.8278, 100),
        new("AMD", "Ahmedabad", "IN", "INR", 23.0225, 72.5714, 100),
    ];

    /// <summary>Where gangs cash out cloned cards: far from home, often abroad.</summary>
    public static readonly City[] CashoutCities =
    [
        new("DEL", "Delhi", "IN", "INR", 28.6139, 77.2090, 100),
        new("PAT", "Patna", "IN", "INR", 25.5941, 85.1376, 100),
        new("JAI", "Jaipur", "IN", "INR", 26.9124, 75.7873, 100),
        new("KOL", "Kolkata", "IN", "INR", 22.5726, 88.3639, 100),
        new("BKK", "Bangkok", "TH", "THB", 13.7563, 100.5018, 40),
        new("DXB", "Dubai", "AE", "AED", 25.2048, 55.2708, 4.4),
        new("KTM", "Kathmandu", "NP", "NPR", 27.7172, 85.3240, 160),
        new("CMB", "Colombo", "LK", "LKR", 6.9271, 79.8612, 350),
    ];
}
