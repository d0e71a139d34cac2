using System.Runtime.InteropServices;
using System.Text.Json;
using BertSharp.Engine;
using BertSharp.Tokenization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BertSharp.Server;

/// <summary>
/// The routes: TEI POST /embed, POST /tokenize, GET /info, GET /health (router/src/http/server.rs) and OpenAI POST
/// /v1/embeddings. Bodies are read with the source-generated <see cref="ServerJsonContext"/>; every failure is an
/// <see cref="ApiException"/> written by <see cref="ErrorHandling"/> in TEI's error shape.
/// </summary>
internal sealed class EmbeddingRoutes(SentenceEmbedder embedder, EmbeddingBatcher batcher, EmbedPreparation preparation, ServerOptions options,
    Admission admission, ModelTypeInfo modelType)
{
    private string ModelId => options.ServedModelName ?? options.Model;

    public void Map(IEndpointRouteBuilder app)
    {
        app.MapPost("/embed", (RequestDelegate)EmbedAsync);
        app.MapPost("/v1/embeddings", (RequestDelegate)OpenAIEmbeddingsAsync);
        app.MapPost("/tokenize", (RequestDelegate)TokenizeAsync);
        app.MapGet("/info", (RequestDelegate)InfoAsync);
        app.MapGet("/health", (RequestDelegate)(static context => { context.Response.StatusCode = 200; return Task.CompletedTask; }));
    }

    private async Task EmbedAsync(HttpContext context)
    {
        EmbedRequest request = await ReadAsync(context, ServerJsonContext.Web.EmbedRequest);
        InputItem[] inputs = InputItems.Read(request.Inputs, "inputs");
        TruncationDirection direction = RequestFields.Direction(request.TruncationDirection);
        EmbedResult result = await RunAsync(context, "/embed", inputs, request.PromptName, request.Normalize, request.Dimensions, request.Truncate, direction);
        await context.Response.WriteAsJsonAsync(result.Vectors, ServerJsonContext.Web.SingleArrayArray, cancellationToken: context.RequestAborted);
    }

    private async Task OpenAIEmbeddingsAsync(HttpContext context)
    {
        OpenAIEmbeddingRequest request = await ReadAsync(context, ServerJsonContext.Web.OpenAIEmbeddingRequest);
        InputItem[] texts = InputItems.Read(request.Input, "input");
        bool base64 = request.EncodingFormat switch
        {
            null or "float" => false,
            "base64" => true,
            _ => throw ApiException.Validation($"encoding_format must be float or base64, not '{request.EncodingFormat}'"),
        };
        // TEI's OpenAI route normalises and truncates as --auto-truncate says.
        EmbedResult result = await RunAsync(context, "/v1/embeddings", texts, null, true, request.Dimensions, null, TruncationDirection.Right);
        int tokens = 0;
        foreach (int n in result.TokenCounts) tokens += n;
        var usage = new OpenAIUsage { PromptTokens = tokens, TotalTokens = tokens };
        string model = request.Model ?? ModelId;
        if (base64)
        {
            var data = new OpenAIEmbedding<string>[texts.Length];
            for (int i = 0; i < data.Length; i++)
                data[i] = new() { Embedding = Convert.ToBase64String(MemoryMarshal.AsBytes(result.Vectors[i].AsSpan())), Index = i };
            await context.Response.WriteAsJsonAsync(new OpenAIEmbeddingResponse<string> { Data = data, Model = model, Usage = usage },
                ServerJsonContext.Web.OpenAIEmbeddingResponseString, cancellationToken: context.RequestAborted);
        }
        else
        {
            var data = new OpenAIEmbedding<float[]>[texts.Length];
            for (int i = 0; i < data.Length; i++) data[i] = new() { Embedding = result.Vectors[i], Index = i };
            await context.Response.WriteAsJsonAsync(new OpenAIEmbeddingResponse<float[]> { Data = data, Model = model, Usage = usage },
                ServerJsonContext.Web.OpenAIEmbeddingResponseSingleArray, cancellationToken: context.RequestAborted);
        }
    }

    private async Task TokenizeAsync(HttpContext context)
    {
        TokenizeRequest request = await ReadAsync(context, ServerJsonContext.Web.TokenizeRequest);
        string[] texts = InputList.Read(request.Inputs, "inputs");
        if (texts.Length > options.MaxClientBatchSize)
            throw ApiException.TooLarge($"batch size {texts.Length} > maximum allowed batch size {options.MaxClientBatchSize} (--max-client-batch-size)");
        BertTokenizer tokenizer = embedder.Model.RequireTokenizer();
        var encodeOptions = new EncodeOptions { AddSpecialTokens = request.AddSpecialTokens };
        var result = new SimpleToken[texts.Length][];
        for (int i = 0; i < texts.Length; i++)
        {
            Tokenization.Encoding e = tokenizer.Encode(texts[i], null, encodeOptions);
            var tokens = new SimpleToken[e.Length];
            for (int t = 0; t < tokens.Length; t++)
            {
                bool special = e.SpecialTokensMask[t] != 0;
                (int start, int end) = e.Offsets[t];
                tokens[t] = new SimpleToken
                {
                    Id = e.Ids[t], Text = e.Tokens[t], Special = special,
                    Start = special ? null : start, Stop = special ? null : end,
                };
            }
            result[i] = tokens;
        }
        await context.Response.WriteAsJsonAsync(result, ServerJsonContext.Web.SimpleTokenArrayArray, cancellationToken: context.RequestAborted);
    }

    private Task InfoAsync(HttpContext context) =>
        context.Response.WriteAsJsonAsync(new InfoResponse
        {
            ModelId = ModelId,
            ModelType = modelType,
            Prompts = embedder.Prompts.Count == 0 ? null : embedder.Prompts,
            MaxConcurrentRequests = options.MaxConcurrentRequests,
            MaxInputLength = preparation.MaxInputLength,
            MaxBatchTokens = options.MaxBatchTokens,
            MaxBatchRequests = options.MaxBatchRequests,
            MaxClientBatchSize = options.MaxClientBatchSize,
            AutoTruncate = options.AutoTruncate,
            TokenizationWorkers = Environment.ProcessorCount,
            Version = typeof(EmbeddingRoutes).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        }, ServerJsonContext.Web.InfoResponse, cancellationToken: context.RequestAborted);

    /// <summary>Admission (429 above --max-concurrent-requests), request-thread preparation, then the batcher.</summary>
    private async Task<EmbedResult> RunAsync(HttpContext context, string route, InputItem[] inputs, string? promptName, bool? normalize,
        int? dimensions, bool? truncate, TruncationDirection direction)
    {
        using Admission.Ticket ticket = admission.Enter();
        EmbedJob job = preparation.Prepare(route, inputs, promptName, normalize, dimensions, truncate, direction, context.RequestAborted);
        return await batcher.EnqueueAsync(job);
    }

    internal static async Task<T> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        if (!context.Request.HasJsonContentType())
            throw ApiException.BadRequest("expected a JSON body (Content-Type: application/json)");
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted)
                   ?? throw ApiException.BadRequest("the body must be a JSON object, not null");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"invalid JSON body: {e.Message}");
        }
    }
}
