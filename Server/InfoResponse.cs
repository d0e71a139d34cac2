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

/// <summary>
/// TEI's model_type (router/src/lib.rs ModelType, lower-case): {"embedding": {"pooling": "mean"}} for an encoder,
/// {"classifier": {"id2label", "label2id"}} for a sequence classifier, {"reranker": {...}} for a one-label one.
/// </summary>
public sealed class ModelTypeInfo
{
    [JsonPropertyName("embedding")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public EmbeddingModelInfo? Embedding { get; init; }
    [JsonPropertyName("classifier")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ClassifierModelInfo? Classifier { get; init; }
    [JsonPropertyName("reranker")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ClassifierModelInfo? Reranker { get; init; }
}

/// <summary>TEI's ClassifierModel: id2label {"0": "LABEL"} and label2id {"LABEL": 0}.</summary>
public sealed class ClassifierModelInfo
{
    [JsonPropertyName("id2label")] public required Dictionary<string, string> Id2Label { get; init; }
    [JsonPropertyName("label2id")] public required Dictionary<string, int> Label2Id { get; init; }
}

/// <summary>TEI's {"pooling": "cls" | "mean" | ...}.</summary>
public sealed class EmbeddingModelInfo
{
    [JsonPropertyName("pooling")] public required string Pooling { get; init; }
}
