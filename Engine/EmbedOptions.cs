namespace BertSharp.Engine;

/// <summary>
/// Per-call settings of <see cref="SentenceEmbedder.Embed(IReadOnlyList{string}, EmbedOptions?, CancellationToken)"/>
/// (what a TEI /embed or OpenAI /v1/embeddings request can ask for). null everywhere = the embedder's defaults.
/// </summary>
public sealed class EmbedOptions
{
    /// <summary>
    /// A prompt name of config_sentence_transformers.json "prompts" (e.g. "query"); unknown names are an error listing
    /// the known ones. null = the folder's default_prompt_name, if any.
    /// </summary>
    public string? PromptName { get; init; }
    /// <summary>An explicit prompt text prepended to every input; wins over <see cref="PromptName"/> (as sentence-transformers).</summary>
    public string? Prompt { get; init; }
    /// <summary>
    /// Matryoshka truncation: keep the first N dimensions (1 ≤ N ≤ the pipeline's width), L2-normalised again when
    /// the output is normalised. null = <see cref="SentenceEmbedder.TruncateDim"/>.
    /// </summary>
    public int? Dimensions { get; init; }
    /// <summary>
    /// true = L2-normalise the final vectors; false = run without the Normalize modules; null = the embedder's setting.
    /// </summary>
    public bool? Normalize { get; init; }
    /// <summary>Long-input policy for this call (e.g. TEI's truncate=false → Error); null = the embedder's.</summary>
    public LongInputOptions? LongInputs { get; init; }

    public static EmbedOptions Default { get; } = new();
}
