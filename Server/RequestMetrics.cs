using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BertSharp.Server;

/// <summary>
/// Outermost middleware: counts every answered request by route (the matched route pattern, "unmatched" for 404s,
/// so client paths never become label values) and outcome, and times it (te_request_count, te_request_duration).
/// /metrics itself is not counted.
/// </summary>
internal sealed class RequestMetrics(ServerMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        long start = Stopwatch.GetTimestamp();
        try { await next(context); }
        finally
        {
            string route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            if (route != "/metrics" && !context.RequestAborted.IsCancellationRequested)
                metrics.Request(route, context.Response.StatusCode, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }
}
