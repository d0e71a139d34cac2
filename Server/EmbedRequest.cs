using System.Text.Json;
using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>
/// TEI POST /embed body (huggingface/text-embeddings-inference router/src/http/types.rs EmbedRequest):
/// inputs (a string or a list of strings), truncate, truncation_direction (Right | Left), prompt_name, normalize
/// (default true), dimensions. The response is [[float, ...], ...], one vector per input.
/// Settable properties: the source-generated reader keeps initialiser defaults (normalize = true) only for those.
/// </summary>
public sealed class EmbedRequest
{
    /// <summary>A string or a list of strings (<see cref="InputList"/> reads it).</summary>
    [JsonPropertyName("inputs")] public JsonElement Inputs { get; set; }
    /// <summary>null = the server's --auto-truncate.</summary>
    [JsonPropertyName("truncate")] public bool? Truncate { get; set; }
    [JsonPropertyName("truncation_direction")] public string? TruncationDirection { get; set; }
    [JsonPropertyName("prompt_name")] public string? PromptName { get; set; }
    [JsonPropertyName("normalize")] public bool Normalize { get; set; } = true;
    [JsonPropertyName("dimensions")] public int? Dimensions { get; set; }
}
