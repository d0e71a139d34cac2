using BertSharp.Engine;
using BertSharp.Weights.Hub;
using Microsoft.Extensions.AI;

namespace BertSharp.Extensions.AI;

/// <summary>
/// A Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> over a BertSharp
/// <see cref="SentenceEmbedder"/>: one vector per input string, computed locally.
/// </summary>
/// <remarks>
/// <para><b>Threading.</b> Thread-safe: the model and the embedder are immutable, and each call uses its own scratch
/// memory, so one instance (a DI singleton) serves concurrent callers.</para>
/// <para><b>Synchronous compute.</b> <see cref="GenerateAsync"/> computes on the calling thread and returns a completed
/// task; it does not use Task.Run. The work is CPU-bound and already spread over <see cref="SentenceEmbedder.MaxThreads"/>
/// cores by the engine: hopping to a thread-pool thread would not make it faster, would cost a pool thread on servers
/// all the same, and would hide where the time goes. A UI thread that must stay responsive can wrap the call in
/// Task.Run itself. Cancellation is honoured between batches and before every encoder layer.</para>
/// <para><b>Options.</b> <see cref="EmbeddingGenerationOptions.Dimensions"/> = N keeps the first N dimensions
/// (Matryoshka truncation, <see cref="EmbedOptions.Dimensions"/>), L2-normalised again when the model's vectors are
/// normalised, as OpenAI's and TEI's <c>dimensions</c>; N outside [1, <see cref="Dimension"/>] throws
/// <see cref="ArgumentOutOfRangeException"/>. Only Matryoshka-trained models keep their quality when truncated.
/// <see cref="EmbeddingGenerationOptions.ModelId"/> equal to <see cref="ModelId"/> (ignoring case) or null is accepted;
/// another id throws <see cref="NotSupportedException"/>, because answering with a different model's vectors would be
/// a silent wrong answer (vectors of different models are not comparable).</para>
/// <para><b>Inputs.</b> An empty list gives an empty result (Usage: 0 tokens) without running the model. A null element throws
/// <see cref="ArgumentException"/> naming its index. An empty or blank string is embedded like any text (the
/// model sees [CLS] [SEP]), as sentence-transformers does.</para>
/// <para><b>Dispose</b> does nothing: the model holds only managed memory, released by the GC when the generator
/// is no longer referenced. The generator stays usable after Dispose.</para>
/// </remarks>
public sealed class BertEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name in <see cref="Metadata"/>.</summary>
    public const string ProviderName = "bertsharp";

    /// <summary>The embedder every call runs.</summary>
    public SentenceEmbedder Embedder { get; }

    /// <summary>The id reported in <see cref="Metadata"/> and on every embedding.</summary>
    public string ModelId { get; }

    /// <summary>Length of every vector (the encoder's hidden size).</summary>
    public int Dimension => Embedder.Dimension;

    /// <summary>Provider "bertsharp", <see cref="ModelId"/>, <see cref="Dimension"/>.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>
    /// The prompt name (config_sentence_transformers.json "prompts", e.g. "query" for e5/bge models) every call uses
    /// unless it names another in <see cref="EmbeddingGenerationOptions.AdditionalProperties"/>["prompt_name"];
    /// null = the model's default_prompt_name, if any.
    /// </summary>
    public string? PromptName { get; init; }

    /// <param name="embedder">a loaded embedder (its pooling, normalisation, batch size and thread budget apply)</param>
    /// <param name="modelId">null = derived from the model folder (see <see cref="BertEmbeddingGeneratorOptions.ModelId"/>)</param>
    public BertEmbeddingGenerator(SentenceEmbedder embedder, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(embedder);
        Embedder = embedder;
        ModelId = string.IsNullOrEmpty(modelId) ? DefaultModelId(embedder.Model.Directory) : modelId;
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, ModelId, Dimension);
    }

    /// <summary>Loads the model named by <see cref="BertEmbeddingGeneratorOptions.ModelFolderOrHubId"/> (blocking; may download).</summary>
    public BertEmbeddingGenerator(BertEmbeddingGeneratorOptions options)
        : this(CreateEmbedder(options), ModelIdFor(options))
    {
        PromptName = options.PromptName;
        if (PromptName is not null) Embedder.ResolvePrompt(new EmbedOptions { PromptName = PromptName });   // unknown names fail at load
    }

    /// <summary>Loads a model folder or hub id, with optional settings (blocking; a hub id may download).</summary>
    public static BertEmbeddingGenerator Load(string modelFolderOrHubId, Action<BertEmbeddingGeneratorOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelFolderOrHubId);
        var options = new BertEmbeddingGeneratorOptions { ModelFolderOrHubId = modelFolderOrHubId };
        configure?.Invoke(options);
        return new BertEmbeddingGenerator(options);
    }

    /// <summary>
    /// One embedding per input, in order, each with <see cref="ModelId"/> and the same CreatedAt; Usage.InputTokenCount
    /// (= TotalTokenCount) is the number of tokens the model ran, [CLS]/[SEP] included (see
    /// <see cref="SentenceEmbedder.EmbedCountingTokens(IReadOnlyList{string}, Span{int}, CancellationToken)"/>). Usage errors (null input, unsupported options) throw at
    /// once; model errors and cancellation come through the returned task.
    /// </summary>
    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        CheckOptions(options);
        string[] texts = [.. values];
        for (int i = 0; i < texts.Length; i++)
            if (texts[i] is null)
                throw new ArgumentException($"input {i} is null: every input must be a string (an empty string is embedded as [CLS] [SEP])", nameof(values));
        if (cancellationToken.IsCancellationRequested)
            return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        try
        {
            return Task.FromResult(Generate(texts, options?.Dimensions, PromptNameFor(options), cancellationToken));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<GeneratedEmbeddings<Embedding<float>>>(cancellationToken);
        }
        catch (Exception e)
        {
            return Task.FromException<GeneratedEmbeddings<Embedding<float>>>(e);
        }
    }

    /// <summary>AdditionalProperties["prompt_name"] (a string), else <see cref="PromptName"/>.</summary>
    private string? PromptNameFor(EmbeddingGenerationOptions? options) =>
        options?.AdditionalProperties is { } extra && extra.TryGetValue("prompt_name", out object? v)
            ? v as string ?? throw new ArgumentException("EmbeddingGenerationOptions.AdditionalProperties[\"prompt_name\"] must be a string", nameof(options))
            : PromptName;

    private GeneratedEmbeddings<Embedding<float>> Generate(string[] texts, int? dimensions, string? promptName, CancellationToken cancellationToken)
    {
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        var tokens = new int[texts.Length];
        float[][] vectors = Embedder.EmbedCountingTokens(texts, tokens,
            dimensions is null && promptName is null ? null : new EmbedOptions { Dimensions = dimensions, PromptName = promptName }, cancellationToken);
        DateTimeOffset createdAt = DateTimeOffset.UtcNow;
        long total = 0;
        for (int i = 0; i < vectors.Length; i++)
        {
            result.Add(new Embedding<float>(vectors[i]) { ModelId = ModelId, CreatedAt = createdAt });
            total += tokens[i];
        }
        result.Usage = new UsageDetails { InputTokenCount = total, TotalTokenCount = total };
        return result;
    }

    private void CheckOptions(EmbeddingGenerationOptions? options)
    {
        if (options is null) return;
        if (options.Dimensions is int dimensions && (dimensions < 1 || dimensions > Embedder.FullDimension))
            throw new ArgumentOutOfRangeException(nameof(options),
                $"EmbeddingGenerationOptions.Dimensions = {dimensions}, but model '{ModelId}' produces {Embedder.FullDimension}-dimensional vectors; " +
                $"Dimensions keeps the first N (1 ≤ N ≤ {Embedder.FullDimension})");
        if (!string.IsNullOrEmpty(options.ModelId) && !string.Equals(options.ModelId, ModelId, StringComparison.OrdinalIgnoreCase))
            throw new NotSupportedException(
                $"EmbeddingGenerationOptions.ModelId = '{options.ModelId}', but this generator runs model '{ModelId}' only; " +
                "register one generator per model (e.g. AddKeyedBertSharpEmbeddingGenerator) and leave ModelId null");
    }

    /// <summary>
    /// With a null <paramref name="serviceKey"/>: this generator for its own types, <see cref="Metadata"/> for
    /// <see cref="EmbeddingGeneratorMetadata"/>, the <see cref="SentenceEmbedder"/>, the <see cref="BertModel"/>;
    /// otherwise null.
    /// </summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(Embedder)) return Embedder;
        if (serviceType.IsInstanceOfType(Embedder.Model)) return Embedder.Model;
        return null;
    }

    /// <summary>Nothing to release (see the remarks).</summary>
    public void Dispose()
    {
    }

    private static SentenceEmbedder CreateEmbedder(BertEmbeddingGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.ModelFolderOrHubId))
            throw new ArgumentException("BertEmbeddingGeneratorOptions.ModelFolderOrHubId is not set: give a model folder or a hub id", nameof(options));
        if (options.BatchSize < 1)
            throw new ArgumentException($"BertEmbeddingGeneratorOptions.BatchSize is {options.BatchSize}; it must be at least 1", nameof(options));
        BertModel model = BertModel.Load(options.ModelFolderOrHubId, new LoadOptions { Quantization = options.Quantization, Hub = options.Hub });
        return new SentenceEmbedder(model, options.Pooling, options.Normalize, options.LongInputs)
        {
            BatchSize = options.BatchSize,
            MaxThreads = options.MaxThreads,
        };
    }

    /// <summary>The options' ModelId, else the hub id when the text is one and not a folder, else null (= from the folder).</summary>
    private static string? ModelIdFor(BertEmbeddingGeneratorOptions options)
    {
        if (!string.IsNullOrEmpty(options.ModelId)) return options.ModelId;
        string text = options.ModelFolderOrHubId!;
        if (!Directory.Exists(text) && !ModelResolver.LooksLikeLocalPath(text) && HubModelId.TryParse(text, out HubModelId? id, out _))
            return id!.ToString();
        return null;
    }

    /// <summary>
    /// ".../models--org--name/snapshots/REV" (a Hugging Face cache snapshot) → "org/name"; any other folder → its name.
    /// </summary>
    internal static string DefaultModelId(string directory)
    {
        var folder = new DirectoryInfo(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        DirectoryInfo? repo = folder.Parent?.Name == "snapshots" ? folder.Parent.Parent : null;
        if (repo is not null && repo.Name.StartsWith("models--", StringComparison.Ordinal))
        {
            string[] parts = repo.Name["models--".Length..].Split("--");
            if (parts.Length is 1 or 2) return string.Join('/', parts);
        }
        return folder.Name;
    }
}
