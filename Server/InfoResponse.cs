using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>
/// GET /info, TEI's Info (huggingface/text-embeddings-inference router/src/lib.rs): model_id, model_sha, model_dtype,
/// model_type, max_concurrent_requests, max_input_length, max_batch_tokens, max_batch_requests,
/// max_client_batch_size, auto_truncate, tokenization_workers, version.
/// </summary>
public sealed class InfoResponse
{
    [JsonPropertyName("model_id")] public required string ModelId { get; init; }
    [JsonPropertyName("model_sha")] public string? ModelSha { get; init; }
    [JsonPropertyName("model_dtype")] public string ModelDtype => "float32";
    [JsonPropertyName("model_type")] public required ModelTypeInfo ModelType { get; init; }
    [JsonPropertyName("prompts")] public IReadOnlyDictionary<string, string>? Prompts { get; init; }
    [JsonPropertyName("max_concurrent_requests")] public required int MaxConcurrentRequests { get; init; }
    [JsonPropertyName("max_input_length")] public required int MaxInputLength { get; init; }
    [JsonPropertyName("max_batch_tokens")] public required int MaxBatchTokens { get; init; }
    [JsonPropertyName("max_batch_requests")] public required int MaxBatchRequests { get; init; }
    [JsonPropertyName("max_client_batch_size")] public required int MaxClientBatchSize { get; init; }
    [JsonPropertyName("auto_truncate")] public required bool AutoTruncate { get; init; }
    [JsonPropertyName("tokenization_workers")] public required int TokenizationWorkers { get; init; }
    [JsonPropertyName("version")] public required string Version { get; init; }
}

/// <summary>TEI's model_type: {"embedding": {"pooling": "mean"}} for an embedding model.</summary>
public sealed class ModelTypeInfo
{
    [JsonPropertyName("embedding")] public EmbeddingModelInfo? Embedding { get; init; }
}

/// <summary>TEI's {"pooling": "cls" | "mean" | ...}.</summary>
public sealed class EmbeddingModelInfo
{
    [JsonPropertyName("pooling")] public required string Pooling { get; init; }
}
