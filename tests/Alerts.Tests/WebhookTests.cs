using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using SkimGuard.Alerts.Webhooks;
using SkimGuard.TestSupport;

namespace SkimGuard.Alerts.Tests;

public sealed class WebhookTests(KafkaFixture kafka, PostgresFixture postgres) : IClassFixture<KafkaFixture>, IClassFixture<PostgresFixture>
{
    private const string Secret = "subscriber-secret-0123456789";

    [Fact]
    public async Task EventsWaitWhileTheReceiverIsDownAndAreAllDeliveredSignedWhenItReturns()
    {
        var db = await AlertsHost.NewDatabaseAsync("sqlite", postgres);
        var port = FreePort.Next();
        await using var host = await AlertsHost.StartAsync(kafka.BootstrapServers, db);
        using var admin = await host.AdminAsync();
        (await admin.PostAsJsonAsync("/api/webhooks", new { url = $"http://127.0.0.1:{port}/hook", secret = Secret }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        var alert = Feed.Alert("ATM-MB-0010");

        // The receiver is down: the alert is raised and acknowledged meanwhile.
        await Feed.ProduceAsync(kafka.BootstrapServers, host.Topics, [alert], []);
        await Feed.WaitUntilAsync(async () => JsonDocument.Parse(await admin.GetStringAsync("/api/alerts")).RootElement.GetArrayLength() == 1, "the alert");
        (await admin.PostAsJsonAsync($"/api/alerts/{alert.AlertId}/acknowledge", new { note = "on it" }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();
        await Feed.WaitUntilAsync(async () => Subscriber(await admin.GetStringAsync("/api/webhooks")).GetProperty("last_error").ValueKind == JsonValueKind.String, "a failed attempt");
        Assert.Equal(2, Subscriber(await admin.GetStringAsync("/api/webhooks", TestContext.Current.CancellationToken)).GetProperty("pending").GetInt32());

        // The receiver comes back.
        var received = new ConcurrentQueue<(string Signature, byte[] Body)>();
        var receiver = WebApplication.CreateBuilder();
        receiver.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = receiver.Build();
        app.MapPost("/hook", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            received.Enqueue((request.Headers[WebhookDispatcher.SignatureHeader].ToString(), body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        await Feed.WaitUntilAsync(() => Task.FromResult(received.Count >= 2), "both deliveries");

        Assert.Equal(2, received.Count);
        Assert.All(received, r => Assert.Equal(WebhookDispatcher.Sign(Secret, r.Body), r.Signature));
        Assert.Equal(["raised", "acknowledge"], received.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("event").GetString()));
        Assert.Equal("acknowledged", JsonDocument.Parse(received.Last().Body).RootElement.GetProperty("status").GetString());
        await Feed.WaitUntilAsync(async () => Subscriber(await admin.GetStringAsync("/api/webhooks")).GetProperty("delivered").GetInt32() == 2, "the deliveries recorded");
        Assert.Equal(0, Subscriber(await admin.GetStringAsync("/api/webhooks", TestContext.Current.CancellationToken)).GetProperty("pending").GetInt32());
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("sqlite")]
    public async Task TwoReplicasOnOneDatabaseDeliverEachEventOnce(string database)
    {
        var db = await AlertsHost.NewDatabaseAsync(database, postgres);
        var topics = new Topics($"a{Guid.NewGuid():N}");
        var group = topics.Prefix + "-alerts";
        var received = new ConcurrentBag<string>();
        var port = FreePort.Next();
        var receiver = WebApplication.CreateBuilder();
        receiver.WebHost.UseUrls($"http://127.0.0.1:{port}");
        await using var app = receiver.Build();
        app.MapPost("/hook", (HttpRequest request) =>
        {
            received.Add(request.Headers["X-SkimGuard-Delivery"].ToString());
            return Results.Ok();
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        await using var first = await AlertsHost.StartAsync(kafka.BootstrapServers, db, topics, groupId: group);
        await using var second = await AlertsHost.StartAsync(kafka.BootstrapServers, db, topics, groupId: group);
        using var admin = await first.AdminAsync();
        (await admin.PostAsJsonAsync("/api/webhooks", new { url = $"http://127.0.0.1:{port}/hook", secret = Secret }, TestContext.Current.CancellationToken)).EnsureSuccessStatusCode();

        // Sixty events queued while both replicas' dispatchers poll the same table every half second.
        var alerts = Enumerable.Range(0, 30).Select(i => Feed.Alert($"ATM-MB-{i:D4}")).ToList();
        await Feed.ProduceAsync(kafka.BootstrapServers, topics, [.. alerts, .. alerts.Select(a => a with { Status = Contracts.AlertStatus.Updated, CompromisedCards = 7, UpdatedAt = a.UpdatedAt.AddHours(1) })], []);
        await Feed.WaitUntilAsync(async () => Subscriber(await admin.GetStringAsync("/api/webhooks")).GetProperty("delivered").GetInt32() == 60, "sixty deliveries recorded");
        await Task.Delay(2 * WebhookDispatcher.Poll, TestContext.Current.CancellationToken);

        Assert.Equal(60, received.Count);
        Assert.Equal(60, received.Distinct().Count());
    }

    private static JsonElement Subscriber(string json) => JsonDocument.Parse(json).RootElement[0];
}
