using System.CommandLine;
using SkimGuard.Cli.Commands;

var root = new RootCommand("SkimGuard: finds skimmed ATMs from banks' card feeds and fraud reports.")
{
    SimulateCommand.Create(),   // a synthetic Mira-Bhayander with planted skimmers and ground truth
};
return await root.Parse(args).InvokeAsync();
