using System.Globalization;
using System.Text;

namespace SkimGuard.Models;

/// <summary>ROC and precision-recall curves as small self-contained SVG files, one line per fold.</summary>
public static class CurvePlot
{
    private const int Size = 360, Margin = 40;
    private static readonly string[] Colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>An SVG chart of the curves on the unit square, with axis titles and a legend.</summary>
    public static string Svg(string title, string xTitle, string yTitle, IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> curves)
    {
        var svg = new StringBuilder();
        var width = Size + 2 * Margin + 120;
        var height = Size + 2 * Margin;
        svg.Append(CultureInfo.InvariantCulture, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">""").AppendLine();
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Margin}" y="20" font-weight="bold">{title}</text>""").AppendLine();
        svg.Append(CultureInfo.InvariantCulture, $"""<rect x="{Margin}" y="{Margin}" width="{Size}" height="{Size}" fill="none" stroke="#444"/>""").AppendLine();
        for (var tick = 0; tick <= 10; tick += 2)
        {
            var at = tick / 10.0;
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{X(at) - 8:F0}" y="{Margin + Size + 15}">{at:0.0}</text><text x="{Margin - 28}" y="{Y(at) + 4:F0}">{at:0.0}</text>""").AppendLine();
        }
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Margin + Size / 2 - 40}" y="{height - 5}">{xTitle}</text>""").AppendLine();
        svg.Append(CultureInfo.InvariantCulture, $"""<text x="12" y="{Margin + Size / 2 + 30}" transform="rotate(-90 12 {Margin + Size / 2 + 30})">{yTitle}</text>""").AppendLine();
        for (var i = 0; i < curves.Count; i++)
        {
            var colour = Colours[i % Colours.Length];
            var points = Thin(curves[i].Points, 600);
            svg.Append(CultureInfo.InvariantCulture, $"""<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{string.Join(' ', points.Select(p => string.Create(CultureInfo.InvariantCulture, $"{X(p.X):F1},{Y(p.Y):F1}")))}"/>""").AppendLine();
            svg.Append(CultureInfo.InvariantCulture, $"""<text x="{Margin + Size + 15}" y="{Margin + 15 + i * 16}" fill="{colour}">{curves[i].Name}</text>""").AppendLine();
        }
        svg.AppendLine("</svg>");
        return svg.ToString();

        static double X(double x) => Margin + x * Size;
        static double Y(double y) => Margin + (1 - y) * Size;
    }

    private static IReadOnlyList<(double X, double Y)> Thin(IReadOnlyList<(double X, double Y)> points, int most)
    {
        if (points.Count <= most)
            return points;
        var step = points.Count / (double)most;
        var kept = Enumerable.Range(0, most).Select(i => points[(int)(i * step)]).ToList();
        kept.Add(points[^1]);
        return kept;
    }
}
