using System.Globalization;
using System.Net;
using System.Text;
using SkimGuard.Alerts.Store;

namespace SkimGuard.Alerts.Api;

/// <summary>A printable case report of one alert for the case file: the finding, the evidence, the history. No card numbers: tokens only.</summary>
public static class CaseReport
{
    /// <summary>The report as a self-contained HTML page (print it to PDF from the browser).</summary>
    public static string Html(AlertDetail detail, string preparedBy, DateTimeOffset preparedAt)
    {
        var a = detail.Alert;
        static string E(object? value) => WebUtility.HtmlEncode(Convert.ToString(value, CultureInfo.InvariantCulture) ?? "");
        static string T(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var html = new StringBuilder();
        html.Append(Style);
        html.Append(CultureInfo.InvariantCulture, $"<title>SkimGuard case report {E(a.AlertId)}</title></head><body>");
        html.Append(CultureInfo.InvariantCulture, $"<h1>Suspected skimming: terminal {E(a.TerminalId)}</h1>");
        var outcome = a.Outcome is null ? "" : $" ({E(a.Outcome)})";
        html.Append(CultureInfo.InvariantCulture, $"<p>Alert {E(a.AlertId)} &middot; status <b>{E(a.Status)}</b>{outcome} &middot; prepared by {E(preparedBy)} on {T(preparedAt)}</p><table>");
        var location = a.Lat is { } lat && a.Lon is { } lon ? string.Create(CultureInfo.InvariantCulture, $"{lat:F5}, {lon:F5}") : "unknown";
        var banks = string.Join(", ", detail.CardsAtRiskByBank.Select(b => $"{E(b.Key)}: {b.Value}"));
        Row(html, "Terminal", $"{E(a.TerminalId)} ({E(a.TerminalType)}), {E(a.Locality ?? "locality unknown")}, owner {E(a.OwnerBank ?? "unknown")}");
        Row(html, "Location", location);
        Row(html, "Estimated skimmer period", $"{T(a.WindowFrom)} to {T(a.WindowTo)}");
        Row(html, "Finding", string.Create(CultureInfo.InvariantCulture, $"{a.CompromisedCards:0.#} compromised cards among {a.ExposedCards} that used the terminal in the period; p-value {a.PValue:E2} (score {a.Score:F1})"));
        Row(html, "First flagged / updated", $"{T(a.FirstFlaggedAt)} / {T(a.UpdatedAt)}");
        Row(html, "Cards at risk", string.Create(CultureInfo.InvariantCulture, $"{a.CardsAtRisk} ({banks})"));
        html.Append("</table><h2>Evidence: compromised cards that used the terminal</h2>");
        html.Append("<table><tr><th>Card token</th><th>Bank</th><th>Visited</th><th>Signal</th><th>First fraud</th><th>Cashed out at</th></tr>");
        foreach (var e in detail.Evidence)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(e.CardToken[..Math.Min(14, e.CardToken.Length)])}…</td><td>{E(e.BankId)}</td><td>{T(e.VisitedAt)}</td><td>{E(e.Signal)}{(e.FraudType is null ? "" : $" ({E(e.FraudType)})")}</td><td>{T(e.FirstFraudAt)}</td><td>{E(e.CashoutTerminalId ?? "")} {E(e.CashoutCountry ?? "")}</td></tr>");
        html.Append("</table><h2>History</h2><table><tr><th>When</th><th>Who</th><th>What</th><th>Status</th><th>Note</th></tr>");
        foreach (var h in detail.History)
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{T(h.At)}</td><td>{E(h.Actor)}</td><td>{E(h.Action)}</td><td>{E(h.FromStatus)} &rarr; {E(h.ToStatus)}</td><td>{E(h.Note)}</td></tr>");
        html.Append("</table></body></html>");
        return html.ToString();
    }

    /// <summary>The report's one style block: the Content-Security-Policy allows it by its hash (SecurityHeaders).</summary>
    internal const string StyleSheet = "body{font:14px/1.4 sans-serif;margin:2em;max-width:60em}" +
        " table{border-collapse:collapse;width:100%} td,th{border:1px solid #999;padding:4px 6px;text-align:left} th{background:#eee} h1{font-size:20px}";

    private const string Style = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><style>" + StyleSheet + "</style>";

    private static void Row(StringBuilder html, string name, string value) =>
        html.Append(CultureInfo.InvariantCulture, $"<tr><th>{name}</th><td>{value}</td></tr>");
}
