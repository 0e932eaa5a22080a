using System.Globalization;
using System.Net;
using System.Text;
using SkimGuard.Alerts.Consuming;
using SkimGuard.Alerts.Security;
using SkimGuard.Alerts.Store;

namespace SkimGuard.Alerts.Api;

/// <summary>
/// The centre's REST API. Every endpoint but login needs a session; each checks the role it needs. A bank user sees
/// only its own cards at risk, and only the alerts they belong to.
/// </summary>
public static class AlertEndpoints
{
    private const string SessionCookie = "sg_session";

    /// <summary>Maps the endpoints.</summary>
    public static void Map(WebApplication app)
    {
        var api = app.MapGroup("/api");
        api.MapPost("/login", LoginAsync).WithSummary("Sign in: {\"name\",\"password\"}; sets the session cookie.");
        api.MapPost("/logout", LogoutAsync);
        api.MapGet("/me", (HttpContext http) => SignedInUser(http) is { } user ? Results.Ok(user) : Unauthorized());
        api.MapGet("/alerts", ListAsync).WithSummary("Alerts, open and strongest first: ?status=&locality=&bank=&from=&to=&min_score=&limit= (status=active: open, acknowledged or dispatched)");
        api.MapGet("/alerts.csv", CsvAsync).WithSummary("The same list as CSV, for the case file.");
        api.MapGet("/alerts/{id}", DetailAsync).WithSummary("One alert: figures, evidence (where compromised cards were cashed out), history.");
        api.MapGet("/alerts/{id}/report", ReportAsync).WithSummary("A printable case report (HTML).");
        api.MapPost("/alerts/{id}/{action}", TransitionAsync).WithSummary("acknowledge, dispatch, resolve (with outcome), reopen; {\"note\",\"outcome\"}.");
        api.MapGet("/cards-at-risk", CardsAsync).WithSummary("Cards at risk, newest first: a bank user's own bank only. ?alert=&limit=");
        api.MapGet("/events", EventsAsync).WithSummary("Server-sent events: each alert raised, updated, reopened, withdrawn or moved through triage.");
        api.MapGet("/atms", (HttpContext http, SkimGuard.Contracts.Registry.AtmRegistry atms, AlertsOptions options) =>
            Require(http, Roles.Admin, Roles.Officer, Roles.Viewer) ?? Results.Ok(new MapSettings(options.TileUrl, atms.All.OrderBy(a => a.TerminalId, StringComparer.Ordinal).ToList())));
        api.MapGet("/summary", SummaryAsync).WithSummary("Figures for reporting: alerts per month, outcomes, cards at risk.");
        api.MapGet("/webhooks", async (HttpContext http, SkimGuard.Alerts.Webhooks.WebhookSubscriptions webhooks) =>
            Require(http, Roles.Admin) ?? Results.Ok(await webhooks.ListAsync(http.RequestAborted))).WithSummary("Admin: subscribers and their delivered, pending and expired events.");
        api.MapPost("/webhooks", async (HttpContext http, NewWebhook request, SkimGuard.Alerts.Webhooks.WebhookSubscriptions webhooks) =>
        {
            if (Require(http, Roles.Admin) is { } refused)
                return refused;
            var (id, problem) = await webhooks.AddAsync(request.Url, request.Secret, http.RequestAborted);
            return problem is null ? Results.Created($"/api/webhooks/{id}", new { id }) : Results.BadRequest(new Problem(problem));
        }).WithSummary("Admin: subscribe {\"url\",\"secret\"}: each new or changed alert is POSTed, signed with HMAC-SHA256 of the body.");
        api.MapDelete("/webhooks/{id}", async (HttpContext http, string id, SkimGuard.Alerts.Webhooks.WebhookSubscriptions webhooks, ILogger<AdminAudit> audit) =>
        {
            if (Require(http, Roles.Admin) is { } refused)
                return refused;
            if (!await webhooks.DeleteAsync(id, http.RequestAborted))
                return Results.NotFound(new Problem($"no webhook {id}"));
            AdminAudit.WebhookDeleted(audit, SignedInUser(http)!.Name, id);
            return Results.NoContent();
        }).WithSummary("Admin: remove a subscriber and its pending deliveries.");
        api.MapGet("/users", async (HttpContext http, Users users) => Require(http, Roles.Admin) ?? Results.Ok(await users.ListAsync()));
        api.MapDelete("/users/{name}", async (HttpContext http, string name, Users users, ILogger<AdminAudit> audit) =>
        {
            if (Require(http, Roles.Admin) is { } refused)
                return refused;
            var admin = SignedInUser(http)!.Name;
            if (name == admin)
                return Results.Conflict(new Problem("an administrator cannot delete their own account; another administrator can"));
            if (!await users.DeleteAsync(name, http.RequestAborted))
                return Results.NotFound(new Problem($"no user {name}"));
            AdminAudit.UserDeleted(audit, admin, name);
            return Results.NoContent();
        }).WithSummary("Admin: delete a user; their sessions end at once.");
        api.MapPost("/users", CreateUserAsync).WithSummary("Admin: create a user {\"name\",\"password\",\"role\",\"bank_id\"}.");
        api.AddEndpointFilter(async (context, next) =>
        {
            // Look the session up once per request; endpoints read it from Items.
            var http = context.HttpContext;
            var users = http.RequestServices.GetRequiredService<Users>();
            http.Items[SessionCookie] = await users.FindSessionAsync(http.Request.Cookies[SessionCookie], http.RequestAborted);
            return await next(context);
        });
    }

    /// <summary>The signed-in user of this request, or null.</summary>
    public static User? SignedInUser(HttpContext http) => http.Items[SessionCookie] as User;

    private static async Task<IResult> LoginAsync(HttpContext http, LoginRequest request, Users users, AlertsOptions options, LoginThrottle throttle)
    {
        var (name, address) = (request.Name ?? "", http.Connection.RemoteIpAddress?.ToString());
        if (throttle.LockedFor(name, address) is { } wait)
        {
            http.Response.Headers.RetryAfter = ((int)wait.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return Results.Json(new Problem($"too many failed sign-ins; try again in {(int)wait.TotalSeconds} s"), statusCode: StatusCodes.Status429TooManyRequests);
        }
        if (await users.SignInAsync(name, request.Password ?? "", TimeSpan.FromHours(options.SessionHours), http.RequestAborted) is not { } session)
        {
            throttle.Failed(name, address);
            return Results.Json(new Problem("wrong name or password"), statusCode: StatusCodes.Status401Unauthorized);
        }
        http.Response.Cookies.Append(SessionCookie, session.Token, new CookieOptions
        {
            HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = http.Request.IsHttps, MaxAge = TimeSpan.FromHours(options.SessionHours), Path = "/",
        });
        return Results.Ok(session.User);
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, Users users)
    {
        if (http.Request.Cookies[SessionCookie] is { } token)
            await users.SignOutAsync(token, http.RequestAborted);
        http.Response.Cookies.Delete(SessionCookie);
        return Results.NoContent();
    }

    private static async Task<IResult> ListAsync(HttpContext http, AlertStore store) =>
        Require(http, Roles.Admin, Roles.Officer, Roles.Viewer, Roles.Bank) ?? Results.Ok(await store.ListAsync(FilterOf(http), http.RequestAborted));

    private static async Task<IResult> CsvAsync(HttpContext http, AlertStore store)
    {
        if (Require(http, Roles.Admin, Roles.Officer, Roles.Viewer, Roles.Bank) is { } refused)
            return refused;
        var alerts = await store.ListAsync(FilterOf(http) with { Limit = 100_000 }, http.RequestAborted);
        var csv = new StringBuilder("alert_id,terminal_id,terminal_type,locality,owner_bank,lat,lon,status,outcome,score,p_value,compromised_cards,exposed_cards,cards_at_risk,window_from,window_to,first_flagged_at,updated_at\r\n");
        foreach (var a in alerts)
        {
            // Rounded as they are read (a weighted k of 20.099999999999998 is 20.1), the p-value in three figures.
            csv.AppendJoin(',', Cell(a.AlertId), Cell(a.TerminalId), Cell(a.TerminalType), Cell(a.Locality), Cell(a.OwnerBank),
                Number(a.Lat, "0.######"), Number(a.Lon, "0.######"), Cell(a.Status), Cell(a.Outcome), Number(a.Score, "0.#"), Number(a.PValue, "0.00E+00"),
                Number(a.CompromisedCards, "0.#"),
                a.ExposedCards.ToString(CultureInfo.InvariantCulture), a.CardsAtRisk.ToString(CultureInfo.InvariantCulture),
                Time(a.WindowFrom), Time(a.WindowTo), Time(a.FirstFlaggedAt), Time(a.UpdatedAt));
            csv.Append("\r\n");
        }
        return Results.File(Encoding.UTF8.GetBytes(csv.ToString()), "text/csv; charset=utf-8", $"skimguard-alerts-{DateTime.UtcNow:yyyyMMdd-HHmm}.csv");
    }

    private static async Task<IResult> DetailAsync(HttpContext http, string id, AlertStore store)
    {
        if (Require(http, Roles.Admin, Roles.Officer, Roles.Viewer, Roles.Bank) is { } refused)
            return refused;
        if (await store.GetAsync(id, http.RequestAborted) is not { } detail)
            return Results.NotFound(new Problem($"no alert {id}"));
        detail = detail with { History = HistoryLines.FoldDetectorUpdates(detail.History) };
        if (SignedInUser(http) is { Role: Roles.Bank, BankId: { } bank })
        {
            // A bank sees an alert only through its own cards, and nothing of other banks'.
            if (!detail.CardsAtRiskByBank.ContainsKey(bank) && detail.Alert.OwnerBank != bank)
                return Results.NotFound(new Problem($"no alert {id}"));
            // The centre's notes and other banks' evidence stay with the centre.
            detail = detail with
            {
                Evidence = [.. detail.Evidence.Where(e => e.BankId == bank)],
                CardsAtRiskByBank = detail.CardsAtRiskByBank.Where(b => b.Key == bank).ToDictionary(),
                History = [],
            };
        }
        return Results.Ok(detail);
    }

    private static async Task<IResult> ReportAsync(HttpContext http, string id, AlertStore store, SkimGuard.Contracts.Registry.AtmRegistry atms)
    {
        if (Require(http, Roles.Admin, Roles.Officer, Roles.Viewer) is { } refused)
            return refused;
        if (await store.GetAsync(id, http.RequestAborted) is not { } detail)
            return Results.NotFound(new Problem($"no alert {id}"));
        return Results.Content(CaseReport.Html(detail with { History = HistoryLines.FoldDetectorUpdates(detail.History) }, atms.Find(detail.Alert.TerminalId), SignedInUser(http)!.Name, DateTimeOffset.UtcNow),
            "text/html; charset=utf-8");
    }

    private static async Task<IResult> TransitionAsync(HttpContext http, string id, string action, TransitionRequest? request, AlertStore store, AlertEvents events)
    {
        if (Require(http, Roles.Admin, Roles.Officer) is { } refused)
            return refused;
        if (AlertLifecycle.NoteMissing(action, request?.Note) is { } noNote)
            return Results.BadRequest(new Problem(noNote));
        var (alert, problem) = await store.TransitionAsync(id, action, SignedInUser(http)!.Name, request?.Note, request?.Outcome, http.RequestAborted);
        if (alert is null)
            return problem == "no such alert" ? Results.NotFound(new Problem($"no alert {id}")) : Results.Conflict(new Problem(problem!));
        events.Publish(new AlertEvent(action, id));
        return Results.Ok(alert);
    }

    private static async Task<IResult> CardsAsync(HttpContext http, AlertStore store)
    {
        if (Require(http, Roles.Admin, Roles.Officer, Roles.Bank) is { } refused)
            return refused;
        var user = SignedInUser(http)!;
        var limit = int.TryParse(http.Request.Query["limit"], CultureInfo.InvariantCulture, out var l) ? Math.Clamp(l, 1, 100_000) : 10_000;
        var bank = user.Role == Roles.Bank ? user.BankId : (string?)http.Request.Query["bank"];
        return Results.Ok(await store.CardsAtRiskAsync(bank, http.Request.Query["alert"], limit, http.RequestAborted));
    }

    private static async Task<IResult> EventsAsync(HttpContext http, AlertEvents events)
    {
        if (Require(http, Roles.Admin, Roles.Officer, Roles.Viewer) is { } refused)
            return refused;
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.WriteAsync(": connected\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
        try
        {
            await foreach (var e in events.ListenAsync(http.RequestAborted))
            {
                await http.Response.WriteAsync($"event: {e.Kind}\ndata: {System.Text.Json.JsonSerializer.Serialize(e.AlertId)}\n\n", http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
            // the page went away
        }
        return Results.Empty;
    }

    private static async Task<IResult> SummaryAsync(HttpContext http, AlertStore store)
    {
        if (Require(http, Roles.Admin, Roles.Officer, Roles.Viewer) is { } refused)
            return refused;
        var (perMonth, byOutcome, cards) = await store.SummaryAsync(http.RequestAborted);
        return Results.Ok(new Summary(perMonth, byOutcome, cards));
    }

    private static async Task<IResult> CreateUserAsync(HttpContext http, NewUser request, Users users, SkimGuard.Contracts.Registry.AtmRegistry atms)
    {
        if (Require(http, Roles.Admin) is { } refused)
            return refused;
        // A bank user sees the cards at risk of its bank_id: a mistyped one would see nothing and be told nothing. The
        // partner banks are the registry's ATM owners; with no registry loaded there is nothing to check against.
        var banks = atms.All.Select(a => a.BankId).ToHashSet(StringComparer.Ordinal);
        if (request is { Role: Roles.Bank, BankId: { } bank } && banks.Count > 0 && !banks.Contains(bank))
            return Results.BadRequest(new Problem($"bank_id: '{bank}' is no bank of the ATM registry; one of {string.Join(", ", banks.Order(StringComparer.Ordinal))}"));
        var problem = await users.CreateAsync(request.Name ?? "", request.Password ?? "", request.Role ?? "", request.BankId, http.RequestAborted);
        return problem is null ? Results.Created($"/api/users/{request.Name}", new User(request.Name!, request.Role!, request.BankId)) : Results.BadRequest(new Problem(problem));
    }

    /// <summary>Null when the signed-in user has one of the roles; else the refusal (401 signed out, 403 wrong role).</summary>
    private static IResult? Require(HttpContext http, params string[] roles) =>
        SignedInUser(http) is not { } user ? Unauthorized()
        : roles.Contains(user.Role) ? null
        : Results.Json(new Problem($"a {user.Role} may not do this"), statusCode: StatusCodes.Status403Forbidden);

    private static IResult Unauthorized() => Results.Json(new Problem("sign in first (POST /api/login)"), statusCode: StatusCodes.Status401Unauthorized);

    private static AlertFilter FilterOf(HttpContext http)
    {
        var q = http.Request.Query;
        static DateTimeOffset? Date(string? text) => DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
        var user = SignedInUser(http);
        return new AlertFilter(
            Status: NullIfEmpty(q["status"]),
            Locality: NullIfEmpty(q["locality"]),
            Bank: user is { Role: Roles.Bank } ? user.BankId : NullIfEmpty(q["bank"]),
            From: Date(q["from"]),
            To: Date(q["to"]),
            MinScore: double.TryParse(q["min_score"], CultureInfo.InvariantCulture, out var score) ? score : null,
            Limit: int.TryParse(q["limit"], CultureInfo.InvariantCulture, out var limit) ? Math.Clamp(limit, 1, 10_000) : 500);
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    /// <summary>A CSV cell, quoted when it must be; a leading =, +, - or @ is defused so a spreadsheet does not run it.</summary>
    private static string Cell(string? text)
    {
        if (text is null)
            return "";
        if (text.Length > 0 && text[0] is '=' or '+' or '-' or '@')
            text = "'" + text;
        return text.IndexOfAny([',', '"', '\r', '\n']) >= 0 ? $"\"{text.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : text;
    }

    private static string Number(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "";

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>POST /api/login.</summary>
public sealed record LoginRequest(string? Name, string? Password);

/// <summary>POST /api/alerts/{id}/{action}.</summary>
public sealed record TransitionRequest(string? Note, string? Outcome);

/// <summary>POST /api/users.</summary>
public sealed record NewUser(string? Name, string? Password, string? Role, string? BankId);

/// <summary>GET /api/atms: the map's tiles (none: a plain background) and the ATMs of the registry.</summary>
public sealed record MapSettings(string? TileUrl, IReadOnlyList<SkimGuard.Contracts.Registry.AtmRecord> Atms);

/// <summary>GET /api/summary.</summary>
public sealed record Summary(IReadOnlyDictionary<string, int> AlertsPerMonth, IReadOnlyDictionary<string, int> ByOutcome, long CardsAtRisk);

/// <summary>POST /api/webhooks.</summary>
public sealed record NewWebhook(string? Url, string? Secret);

/// <summary>An error answer.</summary>
public sealed record Problem(string Error);

/// <summary>The administrators' changes to who may sign in and who is told, in the log: who did what, when.</summary>
public sealed partial class AdminAudit
{
    [LoggerMessage(LogLevel.Warning, "Audit: administrator {Admin} deleted the user {User}; their sessions ended")]
    public static partial void UserDeleted(ILogger logger, string admin, string user);

    [LoggerMessage(LogLevel.Warning, "Audit: administrator {Admin} removed the webhook {Webhook} and its pending deliveries")]
    public static partial void WebhookDeleted(ILogger logger, string admin, string webhook);
}
