using System.Text;
using SharpFuzz;
using SkimGuard.Contracts.Cards;
using SkimGuard.Contracts.Registry;
using SkimGuard.Contracts.Validation;
using SkimGuard.Fuzz;

// The readers under afl++: each target turns AFL's input into records or problems, and anything else it does (an
// exception it was not built to throw, a hang) is a crash AFL keeps. `bash bench/fuzz.sh TARGET SECONDS` runs it.
//   dotnet SkimGuard.Fuzz.dll TARGET              read inputs from AFL (persistent mode)
//   dotnet SkimGuard.Fuzz.dll seed TARGET FOLDER  write a seed corpus from the simulator
//   dotnet SkimGuard.Fuzz.dll replay TARGET FILE  run one input outside AFL, to see a crash's stack trace
// (seed and replay on an uninstrumented build: instrumented code runs only under afl-fuzz).
if (args is ["seed", var seedTarget, var folder])
{
    SeedCorpus.Write(seedTarget, folder);
    return 0;
}
if (args is ["replay", var replayTarget, var file])
{
    Targets.Of(replayTarget)(File.ReadAllBytes(file));
    Console.WriteLine("no crash");
    return 0;
}
if (args is not [var target] || !Targets.Names.Contains(target))
{
    Console.Error.WriteLine($"usage: SkimGuard.Fuzz TARGET | seed TARGET FOLDER | replay TARGET FILE; targets: {string.Join(", ", Targets.Names)}");
    return 2;
}
// The target is made inside the callback: instrumented code (the tokenizer's constructor) may run only once Fuzzer.Run
// has attached AFL's coverage map.
Action<byte[]>? run = null;
Fuzzer.Run(stream =>
{
    using var memory = new MemoryStream();
    stream.CopyTo(memory);
    run ??= Targets.Of(target);
    run(memory.ToArray());
});
return 0;

namespace SkimGuard.Fuzz
{
    /// <summary>What each target does with one input; an exception escaping it is a finding.</summary>
    internal static class Targets
    {
        public static readonly string[] Names = ["transaction", "fraud-report", "csv", "body", "registry"];

        public static Action<byte[]> Of(string target)
        {
            var edge = new ReadContext
            {
                Tokenizer = CardTokenizer.FromSecretText("fuzzing-token-secret-of-at-least-32-bytes"),
                AuthenticatedBankId = "sbi",
            };
            return Of(target, edge);
        }

        private static Action<byte[]> Of(string target, ReadContext edge) => target switch
        {
            // A record as a bank sends it, at the edge (PANs tokenised) and inside (tokens only).
            "transaction" => input => { TransactionReader.Read(input, edge); TransactionReader.Read(input, ReadContext.Internal); },
            "fraud-report" => input => { FraudReportReader.Read(input, edge); FraudReportReader.Read(input, ReadContext.Internal); },
            // A CSV body, each row then read as a transaction.
            "csv" => input =>
            {
                foreach (var row in SkimGuard.Ingest.Records.CsvRecords.Read(input))
                    if (row.Problem is null)
                        TransactionReader.Read(row.Json, edge);
            },
            // A JSON lines or JSON array body split into records (gzip is unpacked before this, by the framework's stream).
            "body" => input =>
            {
                foreach (var mediaType in new[] { "application/x-ndjson", "application/json" })
                    foreach (var record in SkimGuard.Ingest.Records.BodyRecords.Split(input, mediaType))
                        if (record.Problem is null)
                            FraudReportReader.Read(record.Json, edge);
            },
            // The ATM registry refuses a bad file at start with InvalidDataException naming the line; nothing else may escape.
            "registry" => input =>
            {
                try
                {
                    AtmRegistry.Parse(new StringReader(Encoding.UTF8.GetString(input)), "fuzz");
                }
                catch (InvalidDataException)
                {
                }
            },
            _ => throw new ArgumentException($"no target '{target}'"),
        };
    }
}
