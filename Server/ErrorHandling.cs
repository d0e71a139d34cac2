using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace BertSharp.Server;

/// <summary>
/// The middleware in front of the routes: the API key (401 without "Authorization: Bearer KEY"; /health, /metrics
/// and the page at GET / stay open), and every failure as TEI's error body with its status (400 JSON, 413 size, 422 validation, 429 overload,
/// 500 backend).
/// </summary>
internal sealed class ErrorHandling(string? apiKey)
{
    private readonly byte[]? _expected = apiKey is null ? null : Encoding.UTF8.GetBytes("Bearer " + apiKey);

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (_expected is not null && !IsOpen(context.Request) && !Authorized(context.Request.Headers.Authorization.ToString()))
        {
            await WriteAsync(context, new ApiException(401, "unauthorized", "missing or wrong API key: send \"Authorization: Bearer KEY\""));
            return;
        }
        try
        {
            await next(context);
        }
        catch (ApiException e)
        {
            await WriteAsync(context, e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await WriteAsync(context, ApiException.TooLarge($"request body too large: {e.Message} (--payload-limit)"));
        }
        catch (BadHttpRequestException e)
        {
            await WriteAsync(context, new ApiException(e.StatusCode, "validation", e.Message));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left: nothing to answer.
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await WriteAsync(context, new ApiException(500, "backend", $"inference failed: {e.Message}"));
        }
    }

    /// <summary>Routes without the key: probes (/health), scrapes (/metrics, as in TEI) and the teaching page itself
    /// (GET /: a browser cannot send the header when it navigates; the page's calls carry the key).</summary>
    private static bool IsOpen(HttpRequest request) =>
        request.Path == "/health" || request.Path == "/metrics" || (request.Path == "/" && HttpMethods.IsGet(request.Method));

    private bool Authorized(string header) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(header), _expected);

    private static Task WriteAsync(HttpContext context, ApiException e)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.StatusCode = e.Status;
        return context.Response.WriteAsJsonAsync(new ErrorResponse { Error = e.Message, ErrorType = e.ErrorType },
            ServerJsonContext.Web.ErrorResponse, cancellationToken: context.RequestAborted);
    }
}
