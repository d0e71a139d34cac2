using BertSharp.Engine;
using BertSharp.Weights.Hub;

namespace BertSharp.Extensions.AI;

/// <summary>
/// How <see cref="BertEmbeddingGenerator"/> loads and runs its model. Every setting has the default of
/// <see cref="SentenceEmbedder"/>: the model folder's sentence-transformers recipe (pooling, Normalize module,
/// max_seq_length), 32 texts per forward pass, all cores.
/// </summary>
public sealed class BertEmbeddingGeneratorOptions
{
    /// <summary>
    /// A Hugging Face model folder, or a hub id "org/name[@revision]" resolved through the Hugging Face cache and
    /// downloaded when absent (see <see cref="ModelResolver"/>). Set by the DI registration from its argument.
    /// </summary>
    public string? ModelFolderOrHubId { get; set; }

    /// <summary>null = the folder's sentence-transformers pooling, else mean.</summary>
    public PoolingMode? Pooling { get; set; }

    /// <summary>L2-normalise the vectors; null = the folder's Normalize module (true when it has no sentence-transformers files).</summary>
    public bool? Normalize { get; set; }

    /// <summary>Long-input handling; null = truncate at the folder's max_seq_length when it has one, else an error.</summary>
    public LongInputOptions? LongInputs { get; set; }

    /// <summary>
    /// The sentence-transformers prompt name every call uses (e.g. "query"), unless a call names another in
    /// EmbeddingGenerationOptions.AdditionalProperties["prompt_name"]; null = the model's default_prompt_name.
    /// </summary>
    public string? PromptName { get; set; }

    /// <summary>Texts per forward pass (≥ 1).</summary>
    public int BatchSize { get; set; } = 32;

    /// <summary>Thread budget of each forward pass: ≤ 0 = all cores, 1 = the calling thread only.</summary>
    public int MaxThreads { get; set; }

    /// <summary>
    /// The model id reported in <see cref="Microsoft.Extensions.AI.EmbeddingGeneratorMetadata.DefaultModelId"/> and on
    /// every embedding. null = the hub id ("sentence-transformers/all-MiniLM-L6-v2"), or for a folder its name
    /// (a Hugging Face cache snapshot folder gives back its hub id).
    /// </summary>
    public string? ModelId { get; set; }

    /// <summary>Hub settings (endpoint, token, cache, offline, download progress); null = from the environment.</summary>
    public HubOptions? Hub { get; set; }

    /// <summary>The encoder's weight precision: fp32 (default) or dynamic int8 (<see cref="WeightQuantization.Int8"/>, docs/quantization.md).</summary>
    public WeightQuantization Quantization { get; set; }
}
