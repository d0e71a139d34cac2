using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>
/// TEI's error body {"error": "...", "error_type": "..."} (huggingface/text-embeddings-inference router/src/lib.rs
/// ErrorResponse; error_type is its ErrorType in lower case: validation, overloaded, tokenizer, backend, unhealthy, empty).
/// </summary>
public sealed class ErrorResponse
{
    [JsonPropertyName("error")] public required string Error { get; init; }
    [JsonPropertyName("error_type")] public required string ErrorType { get; init; }
}

/// <summary>A request that fails with an HTTP status and a TEI error body; thrown before anything is computed.</summary>
public sealed class ApiException(int status, string errorType, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string ErrorType { get; } = errorType;

    public static ApiException BadRequest(string message) => new(400, "validation", message);
    public static ApiException Validation(string message) => new(422, "validation", message);
    public static ApiException TooLarge(string message) => new(413, "validation", message);
    /// <summary>TEI's ErrorType::Empty: an empty batch (400).</summary>
    public static ApiException Empty(string message) => new(400, "empty", message);
    public static ApiException Overloaded(string message) => new(429, "overloaded", message);
}
