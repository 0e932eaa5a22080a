using System.Security.Cryptography;
using System.Text;
using SkimGuard.Alerts.Api;

namespace SkimGuard.Alerts.Security;

/// <summary>
/// Headers on every answer that tell the browser what the dashboard may do: scripts and styles from this service only
/// (the case report's one style block by its hash), images from here and the configured tile server, no framing, no
/// sniffing, no referrer. A script that got into a page anyway (an ATM name holding markup, say) cannot run or call out.
/// </summary>
public static class SecurityHeaders
{
    /// <summary>The Content-Security-Policy for these options (exposed for the tests).</summary>
    public static string ContentSecurityPolicy(AlertsOptions options)
    {
        var reportStyle = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(CaseReport.StyleSheet)));
        return "default-src 'none'; script-src 'self'; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; " +
               $"style-src 'self' 'sha256-{reportStyle}'; img-src 'self' data:{TileSource(options.TileUrl)}";
    }

    /// <summary>
    /// The tile server's origin as a CSP source: "https://{s}.tile.example.org/{z}/{x}/{y}.png" gives
    /// " https://*.tile.example.org". Nothing for a template that is not a plain origin (it could smuggle in directives).
    /// </summary>
    private static string TileSource(string? template)
    {
        var schemeEnd = template?.IndexOf("://", StringComparison.Ordinal) ?? -1;
        if (template is null || schemeEnd < 0)
            return "";
        var pathStart = template.IndexOf('/', schemeEnd + 3);
        var origin = (pathStart < 0 ? template : template[..pathStart]).Replace("{s}", "*", StringComparison.Ordinal);
        return origin.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or ':' or '/' or '*') ? " " + origin : "";
    }

    /// <summary>Adds the headers to every response of <paramref name="app"/>.</summary>
    public static void Use(WebApplication app, AlertsOptions options)
    {
        var policy = ContentSecurityPolicy(options);
        app.Use((context, next) =>
        {
            var headers = context.Response.Headers;
            headers.ContentSecurityPolicy = policy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers["Cross-Origin-Opener-Policy"] = "same-origin";
            headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
            return next(context);
        });
    }
}
