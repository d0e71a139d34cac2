using System.Text.Json;
using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>
/// OpenAI POST /v1/embeddings body (platform.openai.com/docs/api-reference/embeddings/create): input (a string, a
/// list of strings, a list of token ids or a list of token-id lists), model, encoding_format (float | base64),
/// dimensions, user.
/// </summary>
public sealed class OpenAIEmbeddingRequest
{
    [JsonPropertyName("input")] public JsonElement Input { get; set; }
    [JsonPropertyName("model")] public string? Model { get; set; }
    [JsonPropertyName("encoding_format")] public string? EncodingFormat { get; set; }
    [JsonPropertyName("dimensions")] public int? Dimensions { get; set; }
    [JsonPropertyName("user")] public string? User { get; set; }
}
