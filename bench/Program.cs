using SkimGuard.Bench;

// Each benchmark measures on this machine and writes its figures, with the command, to docs/benchmarks/.
return args.FirstOrDefault() switch
{
    "simulator" => SimulatorBenchmark.Run(args[1..]),
    "cpp-quality" => await CppQualityBenchmark.RunAsync(args[1..]),
    "backtest" => await BacktestBenchmark.RunAsync(args[1..]),
    "detector" => await DetectorBenchmark.RunAsync(args[1..]),
    "ingest" => await IngestBenchmark.RunAsync(args[1..]),
    "alerts" => await AlertsBenchmark.RunAsync(args[1..]),
    "scoring" => ScoringBenchmark.Run(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench -- simulator [--cards N] [--days N] [--out DIR]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- cpp-quality [--seeds N] [--cards N] [--days N]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- cpp-quality --grid [--tune] [--explain-by-concentration] [--seeds N] [--cards N] [--days N] [--families a,b] [--cashout 0.05,0.1,0.3] [--report FILE]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- backtest --folder DIR");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- detector [--cards N] [--days N] [--batch N] [--fetch-wait-ms N] [--model FILE]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- detector --latency-sweep [--stores redis,memory] [--rates 3000,8000,12000] [--fetch-wait-ms N] [--batch-wait-ms N]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- detector --live-batch-path");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- detector --detector-only memory|redis [--batch N]   (the three diagnostics print, write no page; redis also runs the bare loop at its depth)");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- ingest [--batch N] [--batches N] [--parallel N] [--kafka-records N] [--kafka-runs N]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- alerts [--alerts N] [--cards-per-alert N] [--requests N]");
    Console.Error.WriteLine("       dotnet run -c Release --project bench -- scoring [--cards N] [--days N] [--model FILE]");
    return 2;
}
