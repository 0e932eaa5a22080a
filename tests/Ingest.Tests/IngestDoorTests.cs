using System.Net;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

/// <summary>What a bank can read from Ingest besides its own answers: nothing of the other banks.</summary>
public sealed class IngestDoorTests(KafkaFixture kafka) : IClassFixture<KafkaFixture>
{
    [Fact]
    public async Task TheMetricsAnswerOnlyOnTheManagementPortWhateverTheHostHeaderSays()
    {
        var managementPort = FreePort.Next();
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers, o => o.MetricsPort = managementPort, managementPort: managementPort);
        var cancel = TestContext.Current.CancellationToken;
        await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, "{}\n");

        // The banks' port: the counters labelled by bank are not there, even for a caller who names the other port.
        Assert.Equal(HttpStatusCode.NotFound, (await ingest.Http.GetAsync("/metrics", cancel)).StatusCode);
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/metrics");
        spoofed.Headers.Host = $"127.0.0.1:{managementPort}";
        Assert.Equal(HttpStatusCode.NotFound, (await ingest.Http.SendAsync(spoofed, cancel)).StatusCode);

        using var management = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{managementPort}") };
        var metrics = await management.GetAsync("/metrics", cancel);
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("skimguard_ingest_rejected_total{bank=\"sbi\"", await metrics.Content.ReadAsStringAsync(cancel), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryAnswerTellsTheBrowserItIsDataNotAPage()
    {
        await using var ingest = await IngestHost.StartAsync(kafka.BootstrapServers);

        var (_, _, response) = await ingest.PostAsync("/v1/transactions", IngestHost.SbiKey, "not json\n");

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
    }
}
