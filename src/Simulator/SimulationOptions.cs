namespace SkimGuard.Simulator;

/// <summary>Everything that shapes a simulated world. The same options and seed always give the same bytes.</summary>
public sealed record SimulationOptions
{
    /// <summary>Cards issued to residents.</summary>
    public int Cards { get; init; } = 50_000;

    /// <summary>Days simulated.</summary>
    public int Days { get; init; } = 60;

    /// <summary>Skimmers planted on ATMs.</summary>
    public int Skimmers { get; init; } = 4;

    /// <summary>The seed of every random choice.</summary>
    public ulong Seed { get; init; } = 7;

    /// <summary>Midnight UTC of the first simulated day.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>ATMs in Mira-Bhayander (at least 150).</summary>
    public int Atms { get; init; } = 160;

    /// <summary>Share of the cards read by an active skimmer whose data it captures.</summary>
    public double CaptureRate { get; init; } = 0.7;

    /// <summary>Share of captured cards that the gang ever cashes out (the rest are never used).</summary>
    public double CashoutRate { get; init; } = 0.9;

    /// <summary>Share of defrauded cards whose bank files a fraud report.</summary>
    public double ReportRate { get; init; } = 0.85;

    /// <summary>Fraud that is not local skimming, per card per day: cards skimmed elsewhere, card-not-present, lost or stolen, account takeover.</summary>
    public double NoiseFraudRate { get; init; } = 0.00008;

    /// <summary>Whether one neighbourhood's cards are hit together by a phishing wave (a trap for the detector).</summary>
    public bool PhishingWave { get; init; } = true;

    // The scenario families: each is off by default (the world the engine was first built on stays the same bytes), each
    // is set by one parameter, and they combine. ScenarioPresets names them and the realistic mix of all of them.

    /// <summary>Cash-out timing: the share of cashed-out clones cashed out one by one after a long-tailed delay (median ten days, up to six weeks) instead of in the gang's waves.</summary>
    public double TrickleShare { get; init; }

    /// <summary>Cash-out places: the share of clone withdrawals made at ATMs of non-partner banks in Indian cities, which are in no registry and carry no coordinates.</summary>
    public double UnlistedCashoutShare { get; init; }

    /// <summary>Unobserved compromise points: handheld skimmers at merchants (or non-partner ATMs) that no partner's feed contains; each captures cards in one neighbourhood, whose ATMs and shops then carry an echo.</summary>
    public int UnobservedSkimmers { get; init; }

    /// <summary>Hubs: malls or markets that the victims of two skimmers in the same weeks both use; each takes two of the ATM skimmers into its neighbourhood.</summary>
    public int Hubs { get; init; }

    /// <summary>Partial coverage: the share of cards (by issuing bank) whose banks are partners; other banks' transactions and reports never reach SkimGuard.</summary>
    public double PartnerShare { get; init; } = 1;

    /// <summary>Reporting delays: 0 keeps the original one to seven days; otherwise the median of a long-tailed delay from hours to weeks.</summary>
    public double ReportDelayDays { get; init; }

    /// <summary>Reporting errors: the share of reports whose first_fraud_at names the wrong day (one to ten days off).</summary>
    public double WrongFirstFraudShare { get; init; }

    /// <summary>POS skimmers (shimmers) on shop terminals, besides the ATM skimmers.</summary>
    public int PosSkimmers { get; init; }

    /// <summary>The secret under which the simulated PANs are tokenised, like a deployment's edge would.</summary>
    public string TokenSecret { get; init; } = "skimguard-simulator-token-secret-not-for-production";

    /// <summary>The first instant after the simulated period.</summary>
    public DateTimeOffset End => Start.AddDays(Days);

    /// <summary>Throws with the option's name when a value makes no sense.</summary>
    public void Validate()
    {
        Require(Cards is >= 100 and <= 10_000_000, "--cards must be from 100 to 10,000,000");
        Require(Days is >= 1 and <= 3650, "--days must be from 1 to 3650");
        Require(Skimmers is >= 0 and <= 1000, "--skimmers must be from 0 to 1000");
        Require(Atms is >= 150 and <= 5000, "--atms must be from 150 to 5000");
        Require(Start.Offset == TimeSpan.Zero && Start.TimeOfDay == TimeSpan.Zero, "--start must be a date (midnight UTC)");
        foreach (var (name, value) in new[]
        {
            ("--capture-rate", CaptureRate), ("--cashout-rate", CashoutRate), ("--report-rate", ReportRate), ("--noise-fraud-rate", NoiseFraudRate),
            ("--trickle-share", TrickleShare), ("--unlisted-cashout-share", UnlistedCashoutShare), ("--wrong-first-fraud-share", WrongFirstFraudShare),
        })
            Require(value is >= 0 and <= 1, $"{name} must be from 0 to 1");
        Require(PartnerShare is > 0 and <= 1, "--partner-share must be above 0 and at most 1");
        Require(ReportDelayDays is >= 0 and <= 60, "--report-delay-days must be from 0 to 60");
        Require(UnobservedSkimmers is >= 0 and <= 20, "--unobserved-skimmers must be from 0 to 20");
        Require(PosSkimmers is >= 0 and <= 100, "--pos-skimmers must be from 0 to 100");
        Require(Hubs >= 0 && Hubs * 2 <= Skimmers, "--hubs must be from 0 to half of --skimmers (each hub takes two skimmers into its neighbourhood)");
    }

    private static void Require(bool condition, string message)
    {
        if (!condition)
            throw new ArgumentException(message);
    }
}
