using System.Text.Json;
using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>
/// TEI POST /tokenize body (router/src/http/types.rs TokenizeRequest): inputs (a string or a list), add_special_tokens
/// (default true). The response is [[{"id", "text", "special", "start", "stop"}, ...], ...] (SimpleToken).
/// </summary>
public sealed class TokenizeRequest
{
    [JsonPropertyName("inputs")] public JsonElement Inputs { get; set; }
    [JsonPropertyName("add_special_tokens")] public bool AddSpecialTokens { get; set; } = true;
}

/// <summary>TEI's SimpleToken: id, text, special, start and stop (character offsets into the input).</summary>
public sealed class SimpleToken
{
    [JsonPropertyName("id")] public required int Id { get; set; }
    [JsonPropertyName("text")] public required string Text { get; set; }
    [JsonPropertyName("special")] public required bool Special { get; set; }
    [JsonPropertyName("start")] public int? Start { get; set; }
    [JsonPropertyName("stop")] public int? Stop { get; set; }
}
