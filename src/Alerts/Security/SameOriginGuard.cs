namespace SkimGuard.Alerts.Security;

/// <summary>
/// Every state change under /api (POST, PUT, PATCH, DELETE) must come from this service's own page: its Origin header,
/// when a browser sends one, names this service; a request without one (a script, curl) must carry a JSON body, which
/// a page on another site cannot send without a CORS preflight that this service never answers. The session cookie's
/// SameSite=Strict is the first lock; this is the second, for browsers and proxies that do not honour it.
/// </summary>
public static class SameOriginGuard
{
    /// <summary>Adds the check to <paramref name="app"/>.</summary>
    public static void Use(WebApplication app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments("/api") && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)
            && Refusal(request) is { } reason)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new Api.Problem(reason));
            return;
        }
        await next(context);
    });

    private static string? Refusal(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0)
            return string.Equals(origin, $"{request.Scheme}://{request.Host}", StringComparison.OrdinalIgnoreCase)
                ? null
                : "refused: the request comes from another site (Origin)";
        // Signing out changes nothing another site could want.
        if (request.Path.Equals("/api/logout", StringComparison.OrdinalIgnoreCase) || request.HasJsonContentType())
            return null;
        return "refused: a change must send a JSON body (Content-Type: application/json) or come from this site's page";
    }
}
