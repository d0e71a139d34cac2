using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Weights;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BertSharp.Server;

/// <summary>
/// The teaching page: GET / serves wwwroot/index.html (an embedded resource; plain HTML/CSS/JS, no build step, no CDN)
/// which calls /tokenize, /embed and POST /attention. /attention runs one text with attentions through
/// <see cref="AttentionMaps"/> on the request thread (not the batcher: it needs the per-layer probabilities) and answers
/// the probabilities of one layer, all heads or one: {"tokens", "ids", "layers", "heads", "layer", "head",
/// "truncated", "attentions": [heads][T][T]}. Texts are cut to <see cref="MaxAttentionTokens"/> tokens.
/// </summary>
internal sealed class TeachingPage(SentenceEmbedder embedder, ServerOptions options)
{
    /// <summary>Longest text /attention runs, in tokens: a heatmap of 128 × 128 cells is the most a page shows usefully.</summary>
    public const int MaxAttentionTokens = 128;

    private const string PageResource = "BertSharp.Server.wwwroot.index.html";
    private static readonly Lazy<byte[]> Page = new(LoadPage);

    public static void Map(IEndpointRouteBuilder app, SentenceEmbedder embedder, ServerOptions options)
    {
        var page = new TeachingPage(embedder, options);
        app.MapGet("/", (RequestDelegate)ServePageAsync);
        app.MapPost("/attention", (RequestDelegate)page.AttentionAsync);
    }

    private static Task ServePageAsync(HttpContext context)
    {
        byte[] html = Page.Value;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.ContentLength = html.Length;
        return context.Response.Body.WriteAsync(html, context.RequestAborted).AsTask();
    }

    private static byte[] LoadPage()
    {
        using Stream stream = typeof(TeachingPage).Assembly.GetManifestResourceStream(PageResource)
            ?? throw new InvalidOperationException($"embedded resource {PageResource} is missing from {typeof(TeachingPage).Assembly.GetName().Name}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private async Task AttentionAsync(HttpContext context)
    {
        if (!context.Request.HasJsonContentType())
            throw ApiException.BadRequest("expected a JSON body (Content-Type: application/json)");
        AttentionRequest request;
        try
        {
            request = await JsonSerializer.DeserializeAsync(context.Request.Body, TeachingPageJsonContext.Web.AttentionRequest, context.RequestAborted)
                      ?? throw ApiException.BadRequest("the body must be a JSON object, not null");
        }
        catch (JsonException e) { throw ApiException.BadRequest($"invalid JSON body: {e.Message}"); }
        if (request.Text is null) throw ApiException.BadRequest("missing field `text` (a string)");

        BertConfig config = embedder.Model.Config;
        int layers = config.NumHiddenLayers, heads = config.NumAttentionHeads;
        int layer = request.Layer ?? 0;
        if (layer < 0 || layer >= layers)
            throw ApiException.Validation($"layer {layer} is out of range: the model has {layers} layers (0..{layers - 1})");
        if (request.Head is int h && (h < 0 || h >= heads))
            throw ApiException.Validation($"head {h} is out of range: the model has {heads} heads per layer (0..{heads - 1})");

        AttentionMaps maps;
        try
        {
            int maxLength = Math.Min(MaxAttentionTokens, embedder.LongInputs.MaxLength ?? config.MaxPositionEmbeddings);
            maps = AttentionMaps.Compute(embedder.Model, request.Text, maxLength, options.Threads, context.RequestAborted);
        }
        catch (BertInputException e) { throw ApiException.Validation(e.Message); }

        int first = request.Head ?? 0, count = request.Head is null ? heads : 1, len = maps.Length;
        var attentions = new float[count][][];
        for (int k = 0; k < count; k++)
        {
            float[] matrix = maps.Matrix(layer, first + k);
            var rows = new float[len][];
            for (int i = 0; i < len; i++) rows[i] = matrix.AsSpan(i * len, len).ToArray();
            attentions[k] = rows;
        }
        var response = new AttentionResponse
        {
            Tokens = maps.Tokens, Ids = maps.Ids, Layers = layers, Heads = heads, Layer = layer, Head = request.Head,
            Truncated = maps.Truncated, Attentions = attentions,
        };
        await context.Response.WriteAsJsonAsync(response, TeachingPageJsonContext.Web.AttentionResponse, cancellationToken: context.RequestAborted);
    }
}
