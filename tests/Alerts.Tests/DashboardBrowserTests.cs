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
        await page.GotoAsync("/");
        await page.GetByLabel("Name").FillAsync("officer.d");
        await page.GetByLabel("Password").FillAsync("password-of-officer.d");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("map")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByTestId("login")).ToBeHiddenAsync();

        // The alert arrives while the page is open: it must appear without a reload.
        var alert = Feed.Alert("ATM-MB-0004", k: 7);
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], [Feed.Cards(alert, "sbi", "ct_sbi_a", "ct_sbi_b")]);
        await Assertions.Expect(page.GetByTestId("alert")).ToHaveCountAsync(1, new LocatorAssertionsToHaveCountOptions { Timeout = 30_000 });
        await Assertions.Expect(page.GetByTestId("notice")).ToContainTextAsync("ATM-MB-0004");

        await page.GetByTestId("alert").First.ClickAsync();
        await Assertions.Expect(page.GetByTestId("detail")).ToContainTextAsync("estimated skimmer period");
        await Assertions.Expect(page.GetByTestId("evidence").Locator("tr")).ToHaveCountAsync(3); // header + two cards
        await Assertions.Expect(page.GetByTestId("evidence")).ToContainTextAsync("fraud_report counterfeit");
        await Assertions.Expect(page.GetByTestId("timeline")).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("path.flag")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator(".leaflet-popup-content")).ToContainTextAsync("ATM-MB-0004");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(RepositoryRoot(), "docs", "alerts-dashboard.png"), FullPage = true });

        await page.Locator("#note").FillAsync("called the branch; team on the way");
        await page.GetByTestId("acknowledge").ClickAsync();
        await Assertions.Expect(page.GetByTestId("status")).ToHaveTextAsync("acknowledged");
        await Assertions.Expect(page.GetByTestId("history")).ToContainTextAsync("called the branch");
    }

    private static string RepositoryRoot()
    {
        var folder = new DirectoryInfo(AppContext.BaseDirectory);
        while (folder is not null && !File.Exists(Path.Combine(folder.FullName, "SkimGuard.sln")))
            folder = folder.Parent;
        return folder?.FullName ?? Path.GetTempPath();
    }
}
