using SkimGuard.Engine.Replay;
using SkimGuard.Simulator;

namespace SkimGuard.Engine.Tests;

/// <summary>A small simulated world, written to files and kept in memory as one event-time stream, shared by a test class.</summary>
public sealed class SimulatedWorld : IDisposable
{
    public static readonly SimulationOptions Options = new() { Cards = 8000, Days = 50, Skimmers = 3, Seed = 3 };

    public string Folder { get; } = Directory.CreateTempSubdirectory("skimguard-engine-").FullName;
    public GroundTruth Truth { get; }
    public List<ReplayEvent> Events { get; }

    public SimulatedWorld()
    {
        Truth = SimulationFiles.Write(new Simulation(Options), Folder);
        Events = SimulationRecords.Of(Options).Events;
    }

    public string PathOf(string file) => Path.Combine(Folder, file);

    public void Dispose() => Directory.Delete(Folder, recursive: true);
}
