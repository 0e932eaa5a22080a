using System.Globalization;
using System.Net;
using System.Text;
using SkimGuard.Alerts.Store;
using SkimGuard.Contracts.Registry;

namespace SkimGuard.Alerts.Api;

/// <summary>
/// A printable case report of one alert for the case file: the ATM and where it is, the finding in words, the evidence,
/// the cards at risk by bank, the triage history, and blanks for the FIR number, the officer and the signature. No card
/// numbers: tokens only. Times in IST, as the case file is read in India, with UTC beside them.
/// </summary>
public static class CaseReport
{
    // India keeps one offset all year; a fixed zone stands in where the system has no time-zone data (a slim image).
    private static readonly TimeZoneInfo India = TimeZoneInfo.TryFindSystemTimeZoneById("Asia/Kolkata", out var zone) ? zone
        : TimeZoneInfo.CreateCustomTimeZone("IST", TimeSpan.FromMinutes(330), "India Standard Time", "IST");

    /// <summary>The report as a self-contained HTML page (print it to PDF from the browser).</summary>
    public static string Html(AlertDetail detail, AtmRecord? atm, string preparedBy, DateTimeOffset preparedAt)
    {
        var a = detail.Alert;
        static string E(object? value) => WebUtility.HtmlEncode(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
        static string T(DateTimeOffset time) => string.Create(CultureInfo.InvariantCulture,
            $"{TimeZoneInfo.ConvertTime(time, India):d MMM yyyy, HH:mm} IST ({time.UtcDateTime:HH:mm} UTC)");
        static string D(DateTimeOffset day) => day.UtcDateTime.ToString("d MMM yyyy", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append(Style);
        html.Append(CultureInfo.InvariantCulture, $"<title>SkimGuard case report {E(a.AlertId)}</title></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>Suspected skimming: {E(atm?.Name ?? a.TerminalId)}</h1>");
        var outcome = a.Outcome is null ? "" : $" ({E(a.Outcome)})";
        html.Append(CultureInfo.InvariantCulture, $"<p>Alert {E(a.AlertId)} &middot; status <b>{E(a.Status)}</b>{outcome} &middot; prepared by {E(preparedBy)} on {T(preparedAt)}</p>");

        var cashedOut = detail.Evidence.Where(e => e.CashoutCountry is not null).GroupBy(e => e.CashoutCountry!).OrderByDescending(g => g.Count())
            .Select(g => $"{E(Country(g.Key))} ({g.Count()})").ToList();
        html.Append(CultureInfo.InvariantCulture, $"<p class=\"finding\"><b>{detail.Evidence.Count} of the {a.ExposedCards} cards</b> used at this terminal between {D(a.WindowFrom)} and {D(a.WindowTo.AddTicks(-1))} ");
        html.Append(CultureInfo.InvariantCulture, $"later turned out compromised{(cashedOut.Count > 0 ? $"; their clones were cashed out in {string.Join(", ", cashedOut)}" : "")}. ");
        html.Append(CultureInfo.InvariantCulture, $"The chance of so many by coincidence: {Chance(a.PValue)}. {a.CardsAtRisk} other cards used here in those days are at risk; their banks have been sent the list.</p><table>");
        var location = a.Lat is { } lat && a.Lon is { } lon ? string.Create(CultureInfo.InvariantCulture, $"{lat:F5}, {lon:F5}") : "unknown";
        var banks = string.Join(", ", detail.CardsAtRiskByBank.Select(b => $"{E(b.Key)}: {b.Value}"));
        Row(html, "Terminal", $"{E(a.TerminalId)} ({E(a.TerminalType)}){(atm is null ? "" : $", {E(atm.Name)}")}");
        Row(html, "Locality and owner", $"{E(a.Locality ?? atm?.Locality ?? "locality unknown")}, owned by {E(a.OwnerBank ?? atm?.BankId ?? "unknown")}");
        Row(html, "Location (latitude, longitude)", location);
        Row(html, "Estimated skimmer period", $"{D(a.WindowFrom)} to {D(a.WindowTo.AddTicks(-1))} (whole days, UTC)");
        Row(html, "Finding (for the analyst)", string.Create(CultureInfo.InvariantCulture, $"{a.CompromisedCards:0.#} weighted compromised cards among {a.ExposedCards} that used the terminal in the period; p-value {a.PValue:E2} (score {a.Score:F1})"));
        Row(html, "First flagged / updated", $"{T(a.FirstFlaggedAt)} / {T(a.UpdatedAt)}");
        Row(html, "Cards at risk, by bank", string.Create(CultureInfo.InvariantCulture, $"{a.CardsAtRisk} ({banks})"));
        html.Append("</table><h2>Evidence: compromised cards that used the terminal</h2>");
        html.Append("<table><tr><th>Card token</th><th>Bank</th><th>Visited</th><th>Signal</th><th>First fraud</th><th>Cashed out at</th></tr>");
        foreach (var e in detail.Evidence)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(e.CardToken[..Math.Min(14, e.CardToken.Length)])}…</td><td>{E(e.BankId)}</td><td>{T(e.VisitedAt)}</td><td>{E(e.Signal)}{(e.FraudType is null ? "" : $" ({E(e.FraudType)})")}</td><td>{T(e.FirstFraudAt)}</td><td>{E(e.CashoutTerminalId ?? "")} {E(e.CashoutCountry ?? "")}</td></tr>");
        html.Append("</table><h2>History</h2><table><tr><th>When</th><th>Who</th><th>What</th><th>Status</th><th>Note</th></tr>");
        foreach (var h in detail.History)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{T(h.At)}</td><td>{E(h.Actor)}</td><td>{E(h.Action)}</td><td>{E(h.FromStatus)} &rarr; {E(h.ToStatus)}</td><td>{E(h.Note)}</td></tr>");
        html.Append("</table><h2>For the case file</h2><table class=\"blanks\">");
        foreach (var blank in new[] { "FIR number and police station", "Investigating officer, name and rank", "Date", "Signature" })
            Row(html, blank, "");
        html.Append("</table></body></html>");
        return html.ToString();
    }

    /// <summary>A p-value as a chance a reader can weigh.</summary>
    internal static string Chance(double p) =>
        p < 1e-12 ? "less than one in a trillion" : p < 1e-9 ? "less than one in a billion" : p < 1e-6 ? "less than one in a million"
        : string.Create(CultureInfo.InvariantCulture, $"about one in {Math.Round(1 / Math.Max(p, 1e-300)):N0}");

    private static string Country(string code)
    {
        try
        {
            return new RegionInfo(code).EnglishName;
        }
        catch (ArgumentException)
        {
            return code;
        }
    }

    /// <summary>The report's one style block: the Content-Security-Policy allows it by its hash (SecurityHeaders).</summary>
    internal const string StyleSheet = "body{font:14px/1.4 sans-serif;margin:2em;max-width:60em}" +
        " table{border-collapse:collapse;width:100%} td,th{border:1px solid #999;padding:4px 6px;text-align:left} th{background:#eee} h1{font-size:20px}" +
        " table.blanks td{height:2.4em;width:60%} @media print{a{color:inherit}}";

    private const string Style = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><style>" + StyleSheet + "</style>";

    private static void Row(StringBuilder html, string name, string value) =>
        html.Append(CultureInfo.InvariantCulture, $"<tr><th>{name}</th><td>{value}</td></tr>");
}
