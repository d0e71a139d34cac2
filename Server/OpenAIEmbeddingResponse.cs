using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>
/// OpenAI's embedding list {"object": "list", "data": [...], "model": ..., "usage": {...}}; TEmbedding is float[]
/// (encoding_format float) or string (base64 of the little-endian float32 bytes).
/// </summary>
public sealed class OpenAIEmbeddingResponse<TEmbedding>
{
    [JsonPropertyName("object")] public string Object => "list";
    [JsonPropertyName("data")] public required OpenAIEmbedding<TEmbedding>[] Data { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("usage")] public required OpenAIUsage Usage { get; init; }
}

/// <summary>One row of <see cref="OpenAIEmbeddingResponse{TEmbedding}.Data"/>: {"object": "embedding", "embedding": ..., "index": i}.</summary>
public sealed class OpenAIEmbedding<TEmbedding>
{
    [JsonPropertyName("object")] public string Object => "embedding";
    [JsonPropertyName("embedding")] public required TEmbedding Embedding { get; init; }
    [JsonPropertyName("index")] public required int Index { get; init; }
}

/// <summary>Tokens the model ran ([CLS], [SEP] and prompt included, counted after truncation).</summary>
public sealed class OpenAIUsage
{
    [JsonPropertyName("prompt_tokens")] public required int PromptTokens { get; init; }
    [JsonPropertyName("total_tokens")] public required int TotalTokens { get; init; }
}
