using System.CommandLine;
using SkimGuard.Cli.Commands;

var root = new RootCommand("SkimGuard: finds skimmed ATMs from banks' card feeds and fraud reports.")
{
    DemoCommand.Create(),       // the whole pipeline on a simulated month: the dashboard at http://localhost:8080
    SimulateCommand.Create(),   // a synthetic Mira-Bhayander with planted skimmers and ground truth
    BacktestCommand.Create(),   // the CPP engine over feed files, scored against ground truth when given
    TrainCommand.Create(),      // a FastTree fraud model from feed files, with metrics and a model card
    EvaluateCommand.Create(),   // a fraud model under the Fraud Detection Handbook's protocol: folds of train, delay, test
    PushCommand.Create(),       // the simulated banks sending their feeds to Ingest over HTTP
};
return await root.Parse(args).InvokeAsync();
