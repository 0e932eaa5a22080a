using System.Globalization;

namespace SkimGuard.Bench;

/// <summary>"--name value" arguments with defaults.</summary>
internal static class Args
{
    public static int Int(string[] args, string name, int fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;

    public static string Text(string[] args, string name, string fallback) =>
        Array.IndexOf(args, name) is var i and >= 0 ? args[i + 1] : fallback;
}
