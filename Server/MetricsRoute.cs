using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BertSharp.Server;

/// <summary>GET /metrics: Prometheus text exposition 0.0.4 (TEI serves it too; no API key needed, like /health).</summary>
internal static class MetricsRoute
{
    public static void Map(IEndpointRouteBuilder app, ServerMetrics metrics) =>
        app.MapGet("/metrics", (RequestDelegate)(context =>
        {
            context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            return context.Response.WriteAsync(metrics.Exposition.Write(), context.RequestAborted);
        }));
}
