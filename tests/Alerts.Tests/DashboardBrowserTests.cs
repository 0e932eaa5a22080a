using System.Text.RegularExpressions;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using SkimGuard.Contracts.Registry;
using SkimGuard.TestSupport;

namespace SkimGuard.Alerts.Tests;

/// <summary>
/// The dashboard in a real browser (Debian's chromium, driven by Playwright): sign in, see an alert arrive live, open it,
/// see its marker and evidence, acknowledge it. Saves docs/alerts-dashboard.png.
/// </summary>
public sealed class DashboardBrowserTests(KafkaFixture kafka, PostgresFixture postgres) : IClassFixture<KafkaFixture>, IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task AnOfficerSeesANewAlertArriveOpensItAndAcknowledgesIt()
    {
        var registry = Path.Combine(Path.GetTempPath(), $"atms-{Guid.NewGuid():N}.csv");
        AtmRegistry.Save(registry, Enumerable.Range(1, 12).Select(i => new AtmRecord(
            $"ATM-MB-{i:0000}", i % 2 == 0 ? "sbi" : "hdfc", $"ATM {i}", 19.28 + i * 0.003, 72.84 + (i % 4) * 0.006, i < 7 ? "Bhayander West" : "Mira Road East")));
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db, registryPath: registry);
        await (await host.UserAsync("officer.d", "officer")).PostAsync("/api/logout", null, TestContext.Current.CancellationToken);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = host.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 950 } });
        // The Content-Security-Policy must not break the dashboard: the browser reports anything it blocks on the console.
        var blocked = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.OrdinalIgnoreCase))
                blocked.Add(message.Text);
        };
        await page.GotoAsync("/");
        // A wrong password says so (it once said "signed out").
        await page.GetByLabel("Name").FillAsync("officer.d");
        await page.GetByLabel("Password").FillAsync("not-the-password");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("#login-error")).ToHaveTextAsync("wrong name or password");
        await page.GetByLabel("Password").FillAsync("password-of-officer.d");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("map")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("login")).ToBeHiddenAsync();

        // The alert arrives while the page is open: it must appear without a reload.
        var alert = Feed.Alert("ATM-MB-0004", k: 7);
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], [Feed.Cards(alert, "sbi", "ct_sbi_a", "ct_sbi_b")]);
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("notice")).ToContainTextAsync("ATM-MB-0004");

        // The keyboard's path: Tab from the page's start reaches the alert (not 160 map dots), Enter opens it.
        await Assertions.Expect(page.GetByTestId("legend")).ToContainTextAsync("alert being worked");
        await page.Locator("body").FocusAsync();
        for (var tab = 0; tab < 30 && !await page.EvaluateAsync<bool>("!!document.activeElement?.closest('[data-testid=alert]')"); tab++)
            await page.Keyboard.PressAsync("Tab");
        await Assertions.Expect(page.GetByTestId("alert").First.GetByRole(AriaRole.Button)).ToBeFocusedAsync();
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.GetByTestId("detail")).ToContainTextAsync("later turned out compromised");
        await Assertions.Expect(page.GetByTestId("evidence").Locator("tr")).ToHaveCountAsync(3); // header + two cards
        await Assertions.Expect(page.GetByTestId("evidence")).ToContainTextAsync("fraud_report counterfeit");
        await Assertions.Expect(page.GetByTestId("timeline")).ToBeVisibleAsync();
        // What an officer needs on one screen: which ATM and where, the finding in words, times in IST (UTC on hover).
        await Assertions.Expect(page.GetByTestId("where")).ToContainTextAsync("ATM 4 · Bhayander West · owned by sbi");
        await Assertions.Expect(page.GetByTestId("finding")).ToContainTextAsync("2 of the 40 cards used here between 18 Feb 2026 and 23 Feb 2026 later turned out compromised");
        await Assertions.Expect(page.GetByTestId("finding")).ToContainTextAsync("cashed out in India (1)");
        await Assertions.Expect(page.GetByTestId("finding")).ToContainTextAsync("less than one in a million");
        await Assertions.Expect(page.GetByTestId("where").Locator("time")).ToHaveTextAsync("10 Mar 2026, 11:30 IST");
        await Assertions.Expect(page.GetByTestId("where").Locator("time")).ToHaveAttributeAsync("title", "2026-03-10 06:00 UTC");
        await Assertions.Expect(page.Locator("path.flag")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".leaflet-popup-content")).ToContainTextAsync("ATM-MB-0004");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepositoryRoot(), "docs", "alerts-dashboard.png"), FullPage = true });

        await page.Locator("#note").FillAsync("called the branch; team on the way");
        await page.GetByTestId("acknowledge").ClickAsync();
        await Assertions.Expect(page.GetByTestId("status")).ToHaveTextAsync("acknowledged");
        // Each action is confirmed on screen, and only the moves the new state allows stay enabled.
        await Assertions.Expect(page.GetByTestId("notice")).ToHaveTextAsync("ATM-MB-0004 acknowledged.");
        await Assertions.Expect(page.GetByTestId("acknowledge")).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByTestId("reopen")).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByTestId("dispatch")).ToBeEnabledAsync();
        await Assertions.Expect(page.GetByTestId("history")).ToContainTextAsync("called the branch");

        // The alert has its own address, with the list's filter: a reload shows it again, Back returns to the list.
        var address = $"/alerts/{Uri.EscapeDataString(alert.AlertId)}?status=active";
        await Assertions.Expect(page).ToHaveURLAsync(new Regex(Regex.Escape(address) + "$"));
        await page.ReloadAsync();
        await Assertions.Expect(page.GetByTestId("detail")).ToContainTextAsync("ATM-MB-0004");
        await Assertions.Expect(page.GetByTestId("status")).ToHaveTextAsync("acknowledged");
        await page.GoBackAsync();
        await Assertions.Expect(page.GetByTestId("detail")).ToBeHiddenAsync();
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(1);
        await page.GoForwardAsync();
        await Assertions.Expect(page.GetByTestId("detail")).ToContainTextAsync("ATM-MB-0004");

        // Sending a team needs a note; closing the case is asked twice, and says as what.
        await page.GetByTestId("dispatch").ClickAsync();
        await Assertions.Expect(page.Locator("#action-error")).ToContainTextAsync("a note is required to dispatch");
        await page.Locator("#note").FillAsync("nothing on the slot; camera footage checked");
        await page.Locator("#outcome").SelectOptionAsync("false_alarm");
        await page.GetByTestId("resolve").ClickAsync();
        await Assertions.Expect(page.GetByTestId("confirm")).ToContainTextAsync("as false alarm");
        await Assertions.Expect(page.GetByTestId("status")).ToHaveTextAsync("acknowledged");
        await page.GetByTestId("confirm-resolve").ClickAsync();
        await Assertions.Expect(page.GetByTestId("status")).ToHaveTextAsync("resolved");
        await Assertions.Expect(page.GetByTestId("notice")).ToHaveTextAsync("ATM-MB-0004 resolved.");
        await Assertions.Expect(page.GetByTestId("resolve")).ToBeDisabledAsync();
        await Assertions.Expect(page.GetByTestId("reopen")).ToBeEnabledAsync();
        // A filter in the address is the list's filter; the CSV follows it; nothing matching says so.
        await page.GotoAsync("/?status=resolved&locality=Mira%20Road%20East");
        await Assertions.Expect(page.GetByTestId("empty")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("status-filter")).ToHaveValueAsync("resolved");
        await Assertions.Expect(page.GetByTestId("locality-filter")).ToHaveValueAsync("Mira Road East");
        Assert.Equal("/api/alerts.csv?status=resolved&locality=Mira+Road+East", await page.Locator("#csv").GetAttributeAsync("href"));
        await page.GetByTestId("status-filter").SelectOptionAsync("all");
        await page.GetByTestId("locality-filter").SelectOptionAsync("");
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(1);
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("/\\?status=all$"));

        // The case report's style block is allowed by its hash.
        await page.GotoAsync($"api/alerts/{Uri.EscapeDataString(alert.AlertId)}/report");
        Assert.Equal("collapse", await page.EvaluateAsync<string>("getComputedStyle(document.querySelector('table')).borderCollapse"));

        // Signing out leaves nothing of the session on screen: not the header's figures, not the alert.
        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByTestId("figures")).Not.ToBeEmptyAsync();
        await page.GetByTestId("status-filter").SelectOptionAsync("all");
        await page.GetByTestId("alert").First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("detail")).ToContainTextAsync("ATM-MB-0004");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("login")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("figures")).ToBeEmptyAsync();
        await Assertions.Expect(page.GetByTestId("detail")).ToBeEmptyAsync();
        Assert.Empty(blocked);
    }

    [Fact]
    public async Task MarkupInAnAtmsRegistryRowIsShownAsTextAndNeverRuns()
    {
        // A registry row is data from outside the centre; a hostile or careless one must not run in every officer's browser.
        const string hostile = "<img src=x onerror=\"window.pwned = 1\">";
        var registry = Path.Combine(Path.GetTempPath(), $"atms-{Guid.NewGuid():N}.csv");
        AtmRegistry.Save(registry, [
            new AtmRecord("ATM-MB-0001" + hostile, "sbi", "Station Road " + hostile, 19.29, 72.85, "Bhayander West" + hostile),
            new AtmRecord("ATM-MB-0002", "sbi", "<script>window.pwned = 2</script>", 19.30, 72.86, "Bhayander West")]);
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db, registryPath: registry);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = host.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 950 } });
        await page.GotoAsync("/");
        await page.GetByLabel("Name").FillAsync("admin");
        await page.GetByLabel("Password").FillAsync(AlertsHost.AdminPassword);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.Locator("path.leaflet-interactive")).ToHaveCountAsync(2);
        foreach (var dot in await page.Locator("path.leaflet-interactive").AllAsync())
            await dot.HoverAsync(new LocatorHoverOptions { Force = true });
        await page.Locator("path.leaflet-interactive").First.HoverAsync(new LocatorHoverOptions { Force = true });

        await Assertions.Expect(page.Locator(".leaflet-tooltip", new PageLocatorOptions { HasText = "onerror=" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".leaflet-tooltip", new PageLocatorOptions { HasText = "<script>" })).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".leaflet-tooltip img, .leaflet-tooltip script")).ToHaveCountAsync(0);
        await Assertions.Expect(page.GetByTestId("map").GetByText("Bhayander West<img", new LocatorGetByTextOptions { Exact = false })).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("locality-filter").Locator("option", new LocatorLocatorOptions { HasText = "Bhayander West<img" })).ToHaveCountAsync(1);
        Assert.Null(await page.EvaluateAsync<int?>("window.pwned ?? null"));
        using var http = new HttpClient();
        var headers = (await http.GetAsync(host.BaseAddress, TestContext.Current.CancellationToken)).Headers;
        Assert.Contains("script-src 'self'", string.Join(' ', headers.GetValues("Content-Security-Policy")), StringComparison.Ordinal);
        Assert.Equal("nosniff", headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task OnAPhoneALinkToAnAlertOpensItAloneAndFitsTheScreen()
    {
        var registry = Path.Combine(Path.GetTempPath(), $"atms-{Guid.NewGuid():N}.csv");
        AtmRegistry.Save(registry, Enumerable.Range(1, 12).Select(i => new AtmRecord(
            $"ATM-MB-{i:0000}", i % 2 == 0 ? "sbi" : "hdfc", $"ATM {i}, Station Road", 19.28 + i * 0.003, 72.84 + (i % 4) * 0.006, "Bhayander West")));
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db, registryPath: registry);
        await (await host.UserAsync("officer.m", "officer")).PostAsync("/api/logout", null, TestContext.Current.CancellationToken);
        var alert = Feed.Alert("ATM-MB-0006", k: 12);
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], []);
        using var viewer = await host.UserAsync("viewer.m", "viewer");
        await Feed.WaitUntilAsync(async () => (await viewer.GetStringAsync("/api/alerts", TestContext.Current.CancellationToken)).Contains("ATM-MB-0006", StringComparison.Ordinal), "the alert");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions
        {
            BaseURL = host.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 390, Height = 844 }, IsMobile = true, HasTouch = true,
        });
        // The link a colleague sent: signing in lands on the alert itself.
        await page.GotoAsync($"/alerts/{Uri.EscapeDataString(alert.AlertId)}");
        await page.GetByLabel("Name").FillAsync("officer.m");
        await page.GetByLabel("Password").FillAsync("password-of-officer.m");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("finding")).ToContainTextAsync("of the 40 cards used here");
        await Assertions.Expect(page.GetByTestId("alerts")).ToBeHiddenAsync();

        // Nothing wider than the screen: not the alert, not the header's Sign out, not the page.
        foreach (var part in new[] { page.GetByTestId("detail"), page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign out" }), page.GetByTestId("map") })
        {
            var box = await part.BoundingBoxAsync();
            Assert.NotNull(box);
            Assert.True(box.X >= 0 && box.X + box.Width <= 390.5, $"{box.X} + {box.Width} is outside a 390 px screen");
        }
        Assert.True(await page.EvaluateAsync<int>("document.documentElement.scrollWidth") <= 390, "the page scrolls sideways");
        Assert.True((await page.GetByTestId("map").BoundingBoxAsync())!.Width > 300, "the map is a strip");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepositoryRoot(), "docs", "alerts-phone-alert.png"), FullPage = true });

        await page.GetByTestId("close-detail").ClickAsync();
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(1);
        await Assertions.Expect(page.GetByTestId("detail")).ToBeHiddenAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepositoryRoot(), "docs", "alerts-phone-list.png") });
    }

    [Fact]
    public async Task AxeFindsNothingSeriousOnTheSignInTheListAndAnAlert()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        await (await host.UserAsync("officer.a", "officer")).PostAsync("/api/logout", null, TestContext.Current.CancellationToken);
        var alert = Feed.Alert("ATM-MB-0007", k: 9);
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], [Feed.Cards(alert, "sbi", "ct_sbi_x")]);
        using var viewer = await host.UserAsync("viewer.a", "viewer");
        await Feed.WaitUntilAsync(async () => (await viewer.GetStringAsync("/api/alerts", TestContext.Current.CancellationToken)).Contains("ATM-MB-0007", StringComparison.Ordinal), "the alert");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = "/usr/bin/chromium", Headless = true, Args = ["--no-sandbox"] });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { BaseURL = host.BaseAddress.ToString(), ViewportSize = new ViewportSize { Width = 1400, Height = 950 } });
        var found = new List<string>();
        async Task CheckAsync(string where)
        {
            var result = await page.RunAxe();
            found.AddRange(result.Violations.Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{where}: {v.Id} ({v.Impact}) at {string.Join("; ", v.Nodes.Take(3).Select(n => n.Target?.ToString()))}"));
        }

        await page.GotoAsync("/");
        await Assertions.Expect(page.GetByTestId("login")).ToBeVisibleAsync();
        await CheckAsync("sign-in");
        await page.GetByLabel("Name").FillAsync("officer.a");
        await page.GetByLabel("Password").FillAsync("password-of-officer.a");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 });
        await CheckAsync("list");
        await page.GetByTestId("alert").First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("finding")).ToBeVisibleAsync();
        await CheckAsync("alert");

        Assert.True(found.Count == 0, string.Join('\n', found));
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "SkimGuard.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? Path.GetTempPath();
    }
}
