using SkimGuard.Contracts;
using SkimGuard.Ingest;

// Ingest: partner banks push transaction and fraud-report feeds over HTTP (or produce to skimguard.incoming.v1);
// each record is validated, its PAN tokenised, and forwarded to the detector's topics. Settings: docs/ingest.md.
try
{
    await IngestApp.Build(args).RunAsync();
    return Environment.ExitCode; // 0, or KafkaClients.FatalExitCode after a fatal Kafka error stopped the service
}
catch (InvalidSettingsException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
