using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.Tasks;
using BertSharp.Weights;
using BertSharp.Weights.Hub;

namespace BertSharp.Server;

/// <summary>
/// The model a server serves, loaded once: the encoder with its sentence-transformers recipe (every checkpoint embeds:
/// /embed, /embed_all, /v1/embeddings) and, when config.json "architectures" names a task head, that head's library
/// API: BertForSequenceClassification → <see cref="CrossEncoder"/> (/predict; /rerank with one label),
/// BertForMaskedLM → <see cref="SparseEncoder"/> (/embed_sparse) and <see cref="FillMaskPipeline"/> (/fill_mask),
/// BertForTokenClassification → <see cref="TokenClassificationPipeline"/> (/token_classification),
/// BertForQuestionAnswering → <see cref="QuestionAnsweringPipeline"/> (/question_answering).
/// </summary>
public sealed class ServedModel
{
    public SentenceEmbedder Embedder { get; }
    /// <summary>The task head from config.json architectures[0], or null for a plain encoder.</summary>
    public BertTaskModel? Head { get; }
    public CrossEncoder? CrossEncoder { get; }
    public SparseEncoder? Sparse { get; }
    /// <summary>Why <see cref="Sparse"/> is null for a masked-LM checkpoint (its modules.json is not SPLADE's), else null.</summary>
    public string? SparseUnavailable { get; }
    public FillMaskPipeline? FillMask { get; }
    public TokenClassificationPipeline? TokenClassification { get; }
    public QuestionAnsweringPipeline? QuestionAnswering { get; }
    /// <summary>"BertModel" or the head's class name (error messages name it).</summary>
    public string Architecture => Head?.Architecture ?? "BertModel";

    /// <summary>TEI's /info model_type: classifier or reranker for a sequence classifier, else embedding with its pooling.</summary>
    public ModelTypeInfo TeiModelType()
    {
        if (CrossEncoder is { } c)
        {
            var id2label = new Dictionary<string, string>();
            var label2id = new Dictionary<string, int>();
            for (int i = 0; i < c.Model.Labels.Count; i++)
            {
                id2label[i.ToString(System.Globalization.CultureInfo.InvariantCulture)] = c.Model.Labels[i];
                label2id[c.Model.Labels[i]] = i;
            }
            var info = new ClassifierModelInfo { Id2Label = id2label, Label2Id = label2id };
            return c.NumLabels == 1 ? new ModelTypeInfo { Reranker = info } : new ModelTypeInfo { Classifier = info };
        }
        return new ModelTypeInfo { Embedding = new EmbeddingModelInfo { Pooling = Embedder.Pooling.ToString().ToLowerInvariant() } };
    }

    /// <param name="embedder">the encoder's embedder (over <paramref name="head"/>.Bert when there is a head)</param>
    /// <param name="threads">thread budget of the task pipelines (≤ 0 = all cores)</param>
    public ServedModel(SentenceEmbedder embedder, BertTaskModel? head = null, int threads = 0)
    {
        if (head is not null && !ReferenceEquals(head.Bert, embedder.Model))
            throw new ArgumentException("the embedder must run the head's encoder (new SentenceEmbedder(head.Bert))", nameof(embedder));
        Embedder = embedder;
        Head = head;
        switch (head)
        {
            case BertForSequenceClassification c:
                CrossEncoder = new CrossEncoder(c) { MaxThreads = threads };
                break;
            case BertForMaskedLM m:
                FillMask = new FillMaskPipeline(m) { MaxThreads = threads };
                try { Sparse = new SparseEncoder(m) { MaxThreads = threads }; }
                catch (ConfigException e) { SparseUnavailable = e.Message; }
                break;
            case BertForTokenClassification t:
                TokenClassification = new TokenClassificationPipeline(t) { MaxThreads = threads };
                break;
            case BertForQuestionAnswering q:
                QuestionAnswering = new QuestionAnsweringPipeline(q) { MaxThreads = threads };
                break;
        }
    }

    /// <summary>
    /// Loads a folder or hub id once: the head config.json names (one of <see cref="BertHeads.SupportedArchitectures"/>),
    /// else the plain encoder.
    /// </summary>
    /// <param name="options">int8 quantization of the encoder (heads stay fp32); null = fp32</param>
    public static ServedModel Load(string folderOrHubId, int threads, int batchSize, LoadOptions? options = null)
    {
        string directory = ModelResolver.Resolve(folderOrHubId);
        using Checkpoint checkpoint = Checkpoint.Open(directory);
        IReadOnlyList<string> archs = checkpoint.Config.Architectures;
        BertTaskModel? head = archs.Count > 0 && BertHeads.SupportedArchitectures.Contains(archs[0]) ? BertHeads.Load(checkpoint, options) : null;
        BertModel bert = head?.Bert ?? BertModel.Load(checkpoint, options);
        var embedder = new SentenceEmbedder(bert) { MaxThreads = threads, BatchSize = batchSize };
        return new ServedModel(embedder, head, threads);
    }
}
