using SkimGuard.Contracts;
using SkimGuard.Alerts;

// The centre's alerts service: the detector's alerts and cards at risk kept in a database (SQLite or PostgreSQL),
// triaged through a REST API with roles, exported for the case file. Settings: docs/alerts.md.
try
{
    await (await AlertsApp.BuildAsync(args)).RunAsync();
    return Environment.ExitCode; // 0, or KafkaClients.FatalExitCode after a fatal Kafka error stopped the service
}
catch (InvalidSettingsException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
