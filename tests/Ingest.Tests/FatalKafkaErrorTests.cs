using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using SkimGuard.Contracts;
using SkimGuard.Ingest.Api;
using SkimGuard.Kafka;
using SkimGuard.Kafka.Mock;
using SkimGuard.TestSupport;

namespace SkimGuard.Ingest.Tests;

/// <summary>
/// A Kafka client in a fatal state never recovers; the service must stop, with a clear line and a non-zero exit code,
/// so that its orchestrator starts a new one. Run as a real process: the exit code is what an orchestrator sees.
/// </summary>
public sealed class FatalKafkaErrorTests
{
    [Fact]
    public async Task AFencedStaticMemberStopsIngestWithExitCodeThree()
    {
        using var cluster = MockKafkaCluster.Start();
        const string incoming = "incoming";
        using (var producer = new ProducerBuilder<string, byte[]>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(incoming, new Message<string, byte[]>
            {
                Key = "k", Value = "not json"u8.ToArray(),
                Headers = new Headers { { IncomingHeaders.Bank, "sbi"u8.ToArray() }, { IncomingHeaders.Record, "transaction"u8.ToArray() } },
            }, TestContext.Current.CancellationToken);
        }

        var start = new ProcessStartInfo("dotnet", Path.Combine(AppContext.BaseDirectory, "SkimGuard.Ingest.dll"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment =
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{FreePort.Next()}",
                ["Logging__Console__FormatterName"] = "simple",
                ["Ingest__BootstrapServers"] = cluster.BootstrapServers,
                ["Ingest__IncomingTopic"] = incoming,
                ["Ingest__IncomingGroupId"] = "fatal-test",
                ["Ingest__TokenSecret"] = IngestHost.Secret,
                ["Ingest__Banks__sbi__ApiKeyHashes__0"] = ApiKeys.HashOf(IngestHost.SbiKey),
                // Any librdkafka property, from configuration: here static membership (underscores read as dots, as a
                // shell needs) and quick heartbeats, so that the fenced heartbeat comes soon after the join.
                ["Kafka__Client__group_instance_id"] = "ingest-1",
                ["Kafka__Client__heartbeat.interval.ms"] = "300",
            },
        };
        using var ingest = Process.Start(start)!;
        var output = new StringBuilder();
        var joined = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Collect(object _, DataReceivedEventArgs line)
        {
            if (line.Data is null)
                return;
            lock (output)
                output.AppendLine(line.Data);
            if (line.Data.Contains("Partitions assigned", StringComparison.Ordinal))
                joined.TrySetResult();
        }
        ingest.OutputDataReceived += Collect;
        ingest.ErrorDataReceived += Collect;
        ingest.BeginOutputReadLine();
        ingest.BeginErrorReadLine();
        try
        {
            await joined.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

            cluster.FailNextRequests(KafkaApi.Heartbeat, 5, ErrorCode.FencedInstanceId);

            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await ingest.WaitForExitAsync(exited.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            Assert.Fail($"Ingest did not {(joined.Task.IsCompleted ? "stop" : "join its group")}; its output:\n{output}");
        }
        finally
        {
            if (!ingest.HasExited)
                ingest.Kill(entireProcessTree: true);
        }

        Assert.Equal(KafkaClients.FatalExitCode, ingest.ExitCode);
        lock (output)
            Assert.Contains("hit a fatal error (FencedInstanceId", output.ToString(), StringComparison.Ordinal);
    }
}
