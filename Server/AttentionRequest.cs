using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>POST /attention body (the teaching page's route): text, layer (0-based, default 0), head (null = all heads).</summary>
public sealed class AttentionRequest
{
    [JsonPropertyName("text")] public string? Text { get; set; }
    [JsonPropertyName("layer")] public int? Layer { get; set; }
    [JsonPropertyName("head")] public int? Head { get; set; }
}

/// <summary>
/// POST /attention answer: the text's tokens and ids ([CLS] and [SEP] included, T of them), the model's layer and head
/// counts, and attentions [heads][T][T] of the layer asked (one head when the request named one): row = query token,
/// column = key token, each row a softmax summing to 1.
/// </summary>
public sealed class AttentionResponse
{
    [JsonPropertyName("tokens")] public required string[] Tokens { get; init; }
    [JsonPropertyName("ids")] public required int[] Ids { get; init; }
    [JsonPropertyName("layers")] public required int Layers { get; init; }
    [JsonPropertyName("heads")] public required int Heads { get; init; }
    [JsonPropertyName("layer")] public required int Layer { get; init; }
    [JsonPropertyName("head")] public int? Head { get; init; }
    [JsonPropertyName("truncated")] public required bool Truncated { get; init; }
    [JsonPropertyName("attentions")] public required float[][][] Attentions { get; init; }
}
