using System.Net;
using System.Net.Http.Json;
using SkimGuard.TestSupport;

namespace SkimGuard.Alerts.Tests;

/// <summary>The alerts service's doors: sign-in throttling, same-origin state changes, Secure cookies behind a TLS proxy.</summary>
public sealed class DoorTests(KafkaFixture kafka, PostgresFixture postgres) : IClassFixture<KafkaFixture>, IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task TheEleventhWrongPasswordIsRefusedWithoutATryAndTheAccountOpensAgainWhenTheWindowEnds()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db, configure: o => o.LoginLockoutSeconds = 15);
        using var admin = await host.AdminAsync(); // signed in before the attack
        using var guesser = new HttpClient { BaseAddress = host.BaseAddress };
        var cancel = TestContext.Current.CancellationToken;

        var answers = new List<HttpStatusCode>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < 10; i++)
            answers.Add((await guesser.PostAsJsonAsync("/api/login", new { name = "admin", password = $"guess-{i}" }, cancel)).StatusCode);
        var eleventh = await guesser.PostAsJsonAsync("/api/login", new { name = "admin", password = AlertsHost.AdminPassword }, cancel);

        // Each wrong guess costs a full password hash (600,000 PBKDF2 rounds): on a loaded machine ten take seconds.
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(15), $"ten guesses took {started.Elapsed}, longer than the window");
        Assert.All(answers, status => Assert.Equal(HttpStatusCode.Unauthorized, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, eleventh.StatusCode); // even the right password: nothing is checked while locked
        Assert.NotNull(eleventh.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/alerts", cancel)).StatusCode); // the rest of the API is unaffected

        // Refused (429, not counted) until the window that began with the first guess ends; then the right password works.
        HttpStatusCode again;
        while ((again = (await guesser.PostAsJsonAsync("/api/login", new { name = "admin", password = AlertsHost.AdminPassword }, cancel)).StatusCode) == HttpStatusCode.TooManyRequests
               && started.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(500, cancel);
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(14), $"the lock ended after {started.Elapsed}, before its window");
    }

    [Fact]
    public async Task AStateChangeFromAnotherSiteOrWithoutAJsonBodyIsRefused()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        using var admin = await host.AdminAsync();
        var alert = Feed.Alert("ATM-MB-0031");
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], []);
        await Feed.WaitUntilAsync(async () => (await admin.GetStringAsync("/api/alerts")).Contains(alert.AlertId, StringComparison.Ordinal), "the alert");
        var path = $"/api/alerts/{Uri.EscapeDataString(alert.AlertId)}/acknowledge";
        var cancel = TestContext.Current.CancellationToken;

        using var foreign = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { note = "from evil.example" }) };
        foreign.Headers.Add("Origin", "https://evil.example");
        var fromElsewhere = await admin.SendAsync(foreign, cancel);
        var bodyless = await admin.PostAsync(path, null, cancel);
        var status = (await admin.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/alerts/{Uri.EscapeDataString(alert.AlertId)}", cancel)).GetProperty("alert").GetProperty("status").GetString();
        using var own = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { note = "from the dashboard" }) };
        own.Headers.Add("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));
        var fromHere = await admin.SendAsync(own, cancel);

        Assert.Equal(HttpStatusCode.Forbidden, fromElsewhere.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, bodyless.StatusCode);
        Assert.Equal("open", status);
        Assert.True(fromHere.IsSuccessStatusCode, await fromHere.Content.ReadAsStringAsync(cancel));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task BehindATrustedTlsProxyTheSessionCookieIsSecureAndAnUntrustedOneIsNotBelieved(bool trusted)
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db, configure: o => o.TrustedProxies = trusted ? ["127.0.0.1"] : []);
        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        using var login = new HttpRequestMessage(HttpMethod.Post, "/api/login") { Content = JsonContent.Create(new { name = "admin", password = AlertsHost.AdminPassword }) };
        login.Headers.Add("X-Forwarded-Proto", "https");

        var response = await client.SendAsync(login, TestContext.Current.CancellationToken);

        response.EnsureSuccessStatusCode();
        var cookie = response.Headers.GetValues("Set-Cookie").Single();
        Assert.True(trusted == cookie.Contains("secure", StringComparison.OrdinalIgnoreCase), cookie);
    }

    [Fact]
    public async Task AWebhookToThisMachineTheMetadataServiceOrAPrivateNetworkIsRefusedUnlessItsNetworkIsAllowed()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db, configure: o => o.WebhookAllowedNetworks = ["10.20.0.0/16"]);
        using var admin = await host.AdminAsync();
        var cancel = TestContext.Current.CancellationToken;
        async Task<(HttpStatusCode, string)> Subscribe(string url)
        {
            var response = await admin.PostAsJsonAsync("/api/webhooks", new { url, secret = "a-secret-of-sixteen-chars" }, cancel);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(cancel));
        }

        foreach (var inside in new[] { "http://169.254.169.254/latest/meta-data/", "http://127.0.0.1:8080/hook", "http://localhost/hook", "http://[::1]/hook",
                     "http://10.1.2.3/hook", "http://192.168.1.5/hook", "http://[::ffff:127.0.0.1]/hook" })
        {
            var (status, body) = await Subscribe(inside);
            Assert.True(status == HttpStatusCode.BadRequest, $"{inside}: {status} {body}");
            Assert.Contains("url:", body, StringComparison.Ordinal);
        }
        Assert.Equal(HttpStatusCode.Created, (await Subscribe("http://10.20.3.4/hook")).Item1); // an allowed network
        Assert.Equal(HttpStatusCode.Created, (await Subscribe("https://93.184.216.34/hook")).Item1); // a public address

        // And at delivery, whatever the name resolves to then: the connection itself is refused.
        var targets = new SkimGuard.Alerts.Webhooks.WebhookTargets(new AlertsOptions());
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = targets.ConnectAsync });
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync(host.BaseAddress, cancel));
        Assert.Contains("webhook target refused", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAdminDeletesAUserWhoseSessionEndsAtOnceRemovesAWebhookAndCannotMistypeABank()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        var registry = Path.Combine(Path.GetTempPath(), $"atms-{Guid.NewGuid():N}.csv");
        Contracts.Registry.AtmRegistry.Save(registry, [new("ATM-MB-0001", "sbi", "ATM 1", 19.29, 72.85, "Bhayander West"), new("ATM-MB-0002", "hdfc", "ATM 2", 19.30, 72.86, "Navghar")]);
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db, registryPath: registry);
        using var admin = await host.AdminAsync();
        using var leaver = await host.UserAsync("leaving.officer", "officer");
        var cancel = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await leaver.GetAsync("/api/me", cancel)).StatusCode);
        async Task<HttpResponseMessage> DeleteAsync(HttpClient client, string path)
        {
            using var request = new HttpRequestMessage(HttpMethod.Delete, path);
            request.Headers.Add("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));
            return await client.SendAsync(request, cancel);
        }

        Assert.Equal(HttpStatusCode.Forbidden, (await DeleteAsync(leaver, "/api/users/admin")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await DeleteAsync(admin, "/api/users/admin")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(admin, "/api/users/leaving.officer")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await DeleteAsync(admin, "/api/users/leaving.officer")).StatusCode);

        // The session the deleted officer still holds is dead, and the name cannot sign in.
        Assert.Equal(HttpStatusCode.Unauthorized, (await leaver.GetAsync("/api/me", cancel)).StatusCode);
        Assert.DoesNotContain("leaving.officer", await admin.GetStringAsync("/api/users", cancel), StringComparison.Ordinal);
        using var anonymous = new HttpClient { BaseAddress = host.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsJsonAsync("/api/login", new { name = "leaving.officer", password = "password-of-leaving.officer" }, cancel)).StatusCode);

        // A bank user's bank must be one the registry knows: a typo would see no cards and hear nothing.
        var typo = await admin.PostAsJsonAsync("/api/users", new { name = "sbi.desk", password = "password-of-sbi.desk", role = "bank", bank_id = "sbl" }, cancel);
        Assert.Equal(HttpStatusCode.BadRequest, typo.StatusCode);
        Assert.Contains("bank_id: 'sbl' is no bank of the ATM registry", await typo.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/users", new { name = "sbi.desk", password = "password-of-sbi.desk", role = "bank", bank_id = "sbi" }, cancel)).StatusCode);

        var added = await admin.PostAsJsonAsync("/api/webhooks", new { url = "http://127.0.0.1:9/hook", secret = "a-secret-of-sixteen+" }, cancel);
        var id = (await added.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>(cancel)).GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.NoContent, (await DeleteAsync(admin, $"/api/webhooks/{id}")).StatusCode);
        Assert.DoesNotContain(id!, await admin.GetStringAsync("/api/webhooks", cancel), StringComparison.Ordinal);
    }
}
