using System.Text.Json;
using System.Text.Json.Serialization;

namespace BertSharp.Server;

/// <summary>
/// TEI POST /embed_all (router/src/http/types.rs EmbedAllRequest): inputs, truncate, truncation_direction, prompt_name.
/// Beyond TEI: layer (a hidden_states index: 0 = embedding output, L = last layer; negative counts from the end,
/// -1 = last; default last) or output_hidden_states (every layer). Response: [[[float]]] inputs × tokens × hidden, or
/// with output_hidden_states [[[[float]]]] inputs × (L+1) × tokens × hidden.
/// </summary>
public sealed class EmbedAllRequest
{
    [JsonPropertyName("inputs")] public JsonElement Inputs { get; set; }
    [JsonPropertyName("truncate")] public bool? Truncate { get; set; }
    [JsonPropertyName("truncation_direction")] public string? TruncationDirection { get; set; }
    [JsonPropertyName("prompt_name")] public string? PromptName { get; set; }
    [JsonPropertyName("layer")] public int? Layer { get; set; }
    [JsonPropertyName("output_hidden_states")] public bool OutputHiddenStates { get; set; }
}

/// <summary>TEI POST /embed_sparse (EmbedSparseRequest): inputs, truncate, truncation_direction, prompt_name. Response [[{index, value}]].</summary>
public sealed class EmbedSparseRequest
{
    [JsonPropertyName("inputs")] public JsonElement Inputs { get; set; }
    [JsonPropertyName("truncate")] public bool? Truncate { get; set; }
    [JsonPropertyName("truncation_direction")] public string? TruncationDirection { get; set; }
    [JsonPropertyName("prompt_name")] public string? PromptName { get; set; }
}

/// <summary>TEI's SparseValue {index, value}: a non-zero weight of the vocabulary-wide vector, in index order.</summary>
public sealed class SparseValue
{
    [JsonPropertyName("index")] public required int Index { get; init; }
    [JsonPropertyName("value")] public required float Value { get; init; }
}

/// <summary>
/// TEI POST /predict (PredictRequest): inputs = a string, a pair [a, b], or a batch [[a], [a, b], ...]; truncate,
/// truncation_direction, raw_scores. Response: [{score, label}] sorted by score descending (a batch: one list per item).
/// </summary>
public sealed class PredictRequest
{
    [JsonPropertyName("inputs")] public JsonElement Inputs { get; set; }
    [JsonPropertyName("truncate")] public bool? Truncate { get; set; }
    [JsonPropertyName("truncation_direction")] public string? TruncationDirection { get; set; }
    [JsonPropertyName("raw_scores")] public bool RawScores { get; set; }
}

/// <summary>TEI's Prediction {score, label}.</summary>
public sealed class Prediction
{
    [JsonPropertyName("score")] public required float Score { get; init; }
    [JsonPropertyName("label")] public required string Label { get; init; }
}

/// <summary>
/// TEI POST /rerank (RerankRequest): query, texts, truncate, truncation_direction, raw_scores, return_text. Response
/// [{index, text?, score}] sorted by score descending.
/// </summary>
public sealed class RerankRequest
{
    [JsonPropertyName("query")] public string? Query { get; set; }
    [JsonPropertyName("texts")] public string[]? Texts { get; set; }
    [JsonPropertyName("truncate")] public bool? Truncate { get; set; }
    [JsonPropertyName("truncation_direction")] public string? TruncationDirection { get; set; }
    [JsonPropertyName("raw_scores")] public bool RawScores { get; set; }
    [JsonPropertyName("return_text")] public bool ReturnText { get; set; }
}

/// <summary>TEI's Rank {index, text (only with return_text), score}.</summary>
public sealed class Rank
{
    [JsonPropertyName("index")] public required int Index { get; init; }
    [JsonPropertyName("text")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Text { get; init; }
    [JsonPropertyName("score")] public required float Score { get; init; }
}

/// <summary>TEI POST /decode (DecodeRequest): ids (a list or a list of lists), skip_special_tokens (default true). Response ["text", ...].</summary>
public sealed class DecodeRequest
{
    [JsonPropertyName("ids")] public JsonElement Ids { get; set; }
    [JsonPropertyName("skip_special_tokens")] public bool SkipSpecialTokens { get; set; } = true;
}

/// <summary>
/// Beyond TEI, POST /token_classification: inputs (a string or a list), aggregation_strategy (none | simple | first |
/// average | max; default simple), ignore_labels (default ["O"]). Response per input: entities as Hugging Face's
/// token-classification pipeline writes them, with character offsets into the input.
/// </summary>
public sealed class TokenClassificationRequest
{
    [JsonPropertyName("inputs")] public JsonElement Inputs { get; set; }
    [JsonPropertyName("aggregation_strategy")] public string? AggregationStrategy { get; set; }
    [JsonPropertyName("ignore_labels")] public string[]? IgnoreLabels { get; set; }
}

/// <summary>An entity: entity_group (aggregated) or entity + index (strategy none), score, word, start, end.</summary>
public sealed class EntityOutput
{
    [JsonPropertyName("entity_group")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? EntityGroup { get; init; }
    [JsonPropertyName("entity")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Entity { get; init; }
    [JsonPropertyName("index")][JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public int? Index { get; init; }
    [JsonPropertyName("score")] public required float Score { get; init; }
    [JsonPropertyName("word")] public required string Word { get; init; }
    [JsonPropertyName("start")] public required int Start { get; init; }
    [JsonPropertyName("end")] public required int End { get; init; }
}

/// <summary>
/// Beyond TEI, POST /question_answering: question, context, max_answer_len (default 15), handle_impossible_answer.
/// Response {answer, score, start, end} (character offsets into the context), as Hugging Face's QA pipeline.
/// </summary>
public sealed class QuestionAnsweringRequest
{
    [JsonPropertyName("question")] public string? Question { get; set; }
    [JsonPropertyName("context")] public string? Context { get; set; }
    [JsonPropertyName("max_answer_len")] public int? MaxAnswerLength { get; set; }
    [JsonPropertyName("handle_impossible_answer")] public bool HandleImpossibleAnswer { get; set; }
}

public sealed class AnswerOutput
{
    [JsonPropertyName("answer")] public required string Answer { get; init; }
    [JsonPropertyName("score")] public required float Score { get; init; }
    [JsonPropertyName("start")] public required int Start { get; init; }
    [JsonPropertyName("end")] public required int End { get; init; }
}

/// <summary>
/// Beyond TEI, POST /fill_mask: inputs (a string or a list; each with at least one mask token), top_k (default 5).
/// Response per input {sequence, masks: [{position, predictions: [{token, token_str, score}]}]}.
/// </summary>
public sealed class FillMaskRequest
{
    [JsonPropertyName("inputs")] public JsonElement Inputs { get; set; }
    [JsonPropertyName("top_k")] public int TopK { get; set; } = 5;
}

public sealed class FillMaskOutput
{
    [JsonPropertyName("sequence")] public required string Sequence { get; init; }
    [JsonPropertyName("masks")] public required MaskOutput[] Masks { get; init; }
}

public sealed class MaskOutput
{
    [JsonPropertyName("position")] public required int Position { get; init; }
    [JsonPropertyName("predictions")] public required TokenScoreOutput[] Predictions { get; init; }
}

public sealed class TokenScoreOutput
{
    [JsonPropertyName("token")] public required int Token { get; init; }
    [JsonPropertyName("token_str")] public required string TokenStr { get; init; }
    [JsonPropertyName("score")] public required float Score { get; init; }
}
