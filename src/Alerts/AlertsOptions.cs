using SkimGuard.Contracts;

namespace SkimGuard.Alerts;

/// <summary>
/// The alerts service's settings, from the "Alerts" configuration section (environment: Alerts__Database and so on).
/// <see cref="Problems"/> names every bad value; the service refuses to start while there is one.
/// </summary>
public sealed class AlertsOptions
{
    /// <summary>Kafka bootstrap servers.</summary>
    public string BootstrapServers { get; set; } = "localhost:9092";

    /// <summary>Consumer group: replicas sharing one PostgreSQL database share the group.</summary>
    public string GroupId { get; set; } = "skimguard-alerts";

    /// <summary>The detector's alert states.</summary>
    public string AlertsTopic { get; set; } = Topics.AtmAlerts;

    /// <summary>The detector's cards at risk, per bank.</summary>
    public string CardsAtRiskTopic { get; set; } = Topics.CardsAtRisk;

    /// <summary>Where a message on those topics that is not a valid contract goes, with the reason.</summary>
    public string RejectedTopic { get; set; } = Topics.Rejected;

    /// <summary>Whether to consume the topics (off for a service that only serves a database another replica fills).</summary>
    public bool Consume { get; set; } = true;

    /// <summary>"sqlite" (a file, WAL; one replica) or "postgres" (several replicas).</summary>
    public string Database { get; set; } = "sqlite";

    /// <summary>ADO.NET connection string: a SQLite file, or PostgreSQL's Host=…;Database=…;Username=….</summary>
    public string ConnectionString { get; set; } = "Data Source=skimguard-alerts.db";

    /// <summary>How long a login lasts, in hours.</summary>
    public int SessionHours { get; set; } = 12;

    /// <summary>The first administrator, created at start when no user exists yet.</summary>
    public string AdminUser { get; set; } = "admin";

    /// <summary>The first administrator's password (required while there is no user; change it after the first login).</summary>
    public string? AdminPassword { get; set; }

    /// <summary>The ATM registry CSV (terminal_id,bank_id,name,lat,lon,locality) drawn on the dashboard's map.</summary>
    public string? AtmRegistryPath { get; set; }

    /// <summary>
    /// Map tiles for the dashboard, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png or a tile server inside the
    /// centre's network; none by default: the map then shows the ATMs on a plain background, still readable offline.
    /// </summary>
    public string? TileUrl { get; set; }

    /// <summary>
    /// Failed sign-ins an account may have within <see cref="LoginLockoutSeconds"/> before further attempts are refused
    /// (429) without checking the password; an address may have three times as many, over all accounts.
    /// </summary>
    public int LoginFailuresAllowed { get; set; } = 10;

    /// <summary>The window, in seconds, over which failed sign-ins are counted; a locked account opens again when it ends.</summary>
    public int LoginLockoutSeconds { get; set; } = 60;

    /// <summary>
    /// Addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed: behind a TLS proxy the
    /// session cookie is then marked Secure and same-origin checks see https. None by default: the headers are ignored.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>
    /// Networks (CIDR, e.g. 10.20.0.0/16) where webhook subscribers may be although they are private, loopback or
    /// link-local; none by default, so that a webhook cannot be pointed at this machine, the cloud's metadata service or
    /// the centre's internal network.
    /// </summary>
    public List<string> WebhookAllowedNetworks { get; set; } = [];

    /// <summary>Every bad value, named with its setting; empty when the options can be used.</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(BootstrapServers) && Consume)
            problems.Add("Alerts:BootstrapServers is empty");
        if (Database is not ("sqlite" or "postgres"))
            problems.Add($"Alerts:Database must be 'sqlite' or 'postgres', not '{Database}'");
        if (string.IsNullOrWhiteSpace(ConnectionString))
            problems.Add("Alerts:ConnectionString is empty");
        if (SessionHours is < 1 or > 24 * 7)
            problems.Add("Alerts:SessionHours must be from 1 to 168");
        if (AtmRegistryPath is not null && !File.Exists(AtmRegistryPath))
            problems.Add($"Alerts:AtmRegistryPath '{AtmRegistryPath}' does not exist");
        if (TileUrl is not null && !(TileUrl.StartsWith("https://", StringComparison.Ordinal) || TileUrl.StartsWith("http://", StringComparison.Ordinal)))
            problems.Add("Alerts:TileUrl must be an http(s) URL template with {z}, {x} and {y}");
        if (LoginFailuresAllowed is < 1 or > 1000)
            problems.Add("Alerts:LoginFailuresAllowed must be from 1 to 1000");
        if (LoginLockoutSeconds is < 1 or > 86_400)
            problems.Add("Alerts:LoginLockoutSeconds must be from 1 to 86400");
        foreach (var network in WebhookAllowedNetworks.Where(n => !System.Net.IPNetwork.TryParse(n, out _)))
            problems.Add($"Alerts:WebhookAllowedNetworks '{network}' is not a network in CIDR form (10.20.0.0/16)");
        foreach (var proxy in TrustedProxies.Where(p => !System.Net.IPAddress.TryParse(p, out _)))
            problems.Add($"Alerts:TrustedProxies '{proxy}' is not an IP address");
        if (AdminPassword is { Length: < 12 })
            problems.Add("Alerts:AdminPassword must be at least 12 characters");
        return problems;
    }
}
