namespace BertSharp.Weights;

/// <summary>How an encoder numbers the positions it looks up in its position_embeddings table.</summary>
public enum PositionScheme
{
    /// <summary>BERT, DistilBERT, ELECTRA: token t of a row has position t (left padding counts).</summary>
    FromZero,
    /// <summary>
    /// RoBERTa, XLM-R, CamemBERT, MPNet: positions are derived from input_ids, skipping pads:
    /// position = padding_idx + (number of non-pad ids up to and including this one), and pad ids get padding_idx.
    /// So real tokens start at padding_idx + 1 whatever the padding side.
    /// </summary>
    AfterPadding,
}

/// <summary>Which spelling an encoder layer's tensors use (see <see cref="BertLayerParameterNames"/>).</summary>
public enum LayerNaming
{
    /// <summary>encoder.layer.N.attention.self.query, attention.output.dense, intermediate.dense, output.dense, …</summary>
    Bert,
    /// <summary>transformer.layer.N.attention.q_lin/k_lin/v_lin/out_lin, sa_layer_norm, ffn.lin1/lin2, output_layer_norm.</summary>
    DistilBert,
    /// <summary>encoder.layer.N.attention.attn.q/k/v/o, attention.LayerNorm, intermediate.dense, output.dense, output.LayerNorm.</summary>
    MPNet,
}

/// <summary>The config.json fields that hold an encoder's sizes (DistilBERT spells them its own way).</summary>
public sealed record ConfigFieldNames(string HiddenSize, string NumHiddenLayers, string NumAttentionHeads, string IntermediateSize,
    string HiddenAct)
{
    public static readonly ConfigFieldNames Bert = new("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act");
    public static readonly ConfigFieldNames DistilBert = new("dim", "n_layers", "n_heads", "hidden_dim", "activation");
}

/// <summary>
/// What makes one member of the BERT family differ from BertModel, and nothing else: every member runs the same
/// post-LN encoder core (embeddings → N × [self-attention, LayerNorm, FFN, LayerNorm] → optional pooler) with the
/// same kernels. Chosen from config.json "model_type" (<see cref="FromModelType"/>); task classes are the family's
/// class prefix + the task ("Roberta" + "ForSequenceClassification").
/// </summary>
public sealed class EncoderArchitecture
{
    /// <summary>config.json "model_type".</summary>
    public string ModelType { get; }
    /// <summary>Hugging Face class prefix: "Bert", "Roberta", "XLMRoberta", "Camembert", "DistilBert", "Electra", "MPNet".</summary>
    public string ClassPrefix { get; }
    /// <summary>The encoder's Hugging Face class, e.g. "RobertaModel".</summary>
    public string ModelClass => ClassPrefix + "Model";
    /// <summary>The prefix task models put before the encoder's tensor names (transformers' base_model_prefix + ".").</summary>
    public string Prefix { get; }
    /// <summary>False for DistilBERT and MPNet: no token_type_embeddings (token type ids are ignored).</summary>
    public bool HasTokenTypes { get; }
    public PositionScheme Positions { get; }
    /// <summary>The padding_idx of <see cref="PositionScheme.AfterPadding"/> when the class fixes it (MPNet: 1); null = config pad_token_id.</summary>
    public int? FixedPaddingIdx { get; }
    /// <summary>MPNet: a T5-style bucketed relative position bias, one table shared by every layer, added to the attention scores.</summary>
    public bool HasRelativeAttentionBias { get; }
    /// <summary>DistilBERT: every LayerNorm uses 1e-12 whatever config.json says (its config has no layer_norm_eps).</summary>
    public float? FixedLayerNormEps { get; }
    /// <summary>ELECTRA: embeddings are embedding_size wide and embeddings_project maps them to hidden_size when the two differ.</summary>
    public bool HasEmbeddingSize { get; }
    /// <summary>False for DistilBERT and ELECTRA, whose encoders never have a pooler.</summary>
    public bool CanHavePooler { get; }
    /// <summary>config.json pad_token_id when absent.</summary>
    public int DefaultPadTokenId { get; }
    public LayerNaming LayerNaming { get; }
    public ConfigFieldNames Fields { get; }

    private EncoderArchitecture(string modelType, string classPrefix, string prefix, bool tokenTypes, PositionScheme positions,
        int? fixedPaddingIdx = null, bool relativeBias = false, float? fixedEps = null, bool embeddingSize = false, bool pooler = true,
        int defaultPad = 0, LayerNaming naming = LayerNaming.Bert, ConfigFieldNames? fields = null)
    {
        ModelType = modelType; ClassPrefix = classPrefix; Prefix = prefix; HasTokenTypes = tokenTypes; Positions = positions;
        FixedPaddingIdx = fixedPaddingIdx; HasRelativeAttentionBias = relativeBias; FixedLayerNormEps = fixedEps;
        HasEmbeddingSize = embeddingSize; CanHavePooler = pooler; DefaultPadTokenId = defaultPad; LayerNaming = naming;
        Fields = fields ?? ConfigFieldNames.Bert;
    }

    /// <summary>MPNet's relative position buckets: T5's bidirectional bucketing with 32 buckets and max_distance 128,
    /// whatever relative_attention_num_buckets says (the encoder calls the bucket function with its defaults).</summary>
    public const int RelativeBucketCount = 32;
    public const int RelativeMaxDistance = 128;

    public static readonly EncoderArchitecture Bert = new("bert", "Bert", "bert.", tokenTypes: true, PositionScheme.FromZero);
    public static readonly EncoderArchitecture Roberta = new("roberta", "Roberta", "roberta.", tokenTypes: true, PositionScheme.AfterPadding, defaultPad: 1);
    public static readonly EncoderArchitecture XlmRoberta = new("xlm-roberta", "XLMRoberta", "roberta.", tokenTypes: true, PositionScheme.AfterPadding, defaultPad: 1);
    public static readonly EncoderArchitecture Camembert = new("camembert", "Camembert", "roberta.", tokenTypes: true, PositionScheme.AfterPadding, defaultPad: 1);
    public static readonly EncoderArchitecture DistilBert = new("distilbert", "DistilBert", "distilbert.", tokenTypes: false, PositionScheme.FromZero,
        fixedEps: 1e-12f, pooler: false, naming: LayerNaming.DistilBert, fields: ConfigFieldNames.DistilBert);
    public static readonly EncoderArchitecture Electra = new("electra", "Electra", "electra.", tokenTypes: true, PositionScheme.FromZero,
        embeddingSize: true, pooler: false);
    public static readonly EncoderArchitecture MPNet = new("mpnet", "MPNet", "mpnet.", tokenTypes: false, PositionScheme.AfterPadding,
        fixedPaddingIdx: 1, relativeBias: true, defaultPad: 1, naming: LayerNaming.MPNet);

    public static readonly IReadOnlyList<EncoderArchitecture> All = [Bert, Roberta, XlmRoberta, Camembert, DistilBert, Electra, MPNet];

    /// <summary>The description for a model_type, or null when the family is not one we run.</summary>
    public static EncoderArchitecture? FromModelType(string modelType)
    {
        foreach (EncoderArchitecture a in All)
            if (a.ModelType == modelType) return a;
        return null;
    }

    /// <summary>"bert, roberta, …" for error messages.</summary>
    public static string SupportedModelTypes => string.Join(", ", All.Select(a => a.ModelType));

    /// <summary>The task of a Hugging Face class of this family ("RobertaForSequenceClassification" → "ForSequenceClassification"), or null.</summary>
    public string? TaskOf(string className) =>
        className.StartsWith(ClassPrefix, StringComparison.Ordinal) && className.Length > ClassPrefix.Length ? className[ClassPrefix.Length..] : null;

    public override string ToString() => ModelType;
}
