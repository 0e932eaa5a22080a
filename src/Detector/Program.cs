using SkimGuard.Contracts;
using SkimGuard.Detector;

// The detector service: transactions and fraud reports from Kafka, the CPP engine over sliding windows in Redis,
// alerts and each bank's cards at risk back to Kafka. Settings and endpoints: docs/detector.md.
try
{
    await DetectorApp.Build(args).RunAsync();
    return Environment.ExitCode; // 0, or KafkaClients.FatalExitCode after a fatal Kafka error stopped the service
}
catch (InvalidSettingsException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
