namespace BertSharp.Weights;

/// <summary>
/// The tensor names of one family's encoder as transformers saves its base model (no task prefix; <see cref="Checkpoint"/>
/// also finds them under <see cref="EncoderArchitecture.Prefix"/>). BERT's are the constants of <see cref="BertParameterNames"/>;
/// the other families keep the embedding and pooler names and differ in the layers (<see cref="LayerNaming"/>), the
/// absence of token types (DistilBERT, MPNet) and two extra tensors (ELECTRA's embeddings_project, MPNet's shared
/// relative_attention_bias). Linear weights are [out_features, in_features].
/// </summary>
public sealed class EncoderParameterNames
{
    private static readonly Dictionary<EncoderArchitecture, EncoderParameterNames> s_byArchitecture = Build();

    public EncoderArchitecture Architecture { get; }
    /// <summary>[vocab, embedding_size]</summary>
    public string WordEmbeddings => BertParameterNames.WordEmbeddings;
    /// <summary>[max_position_embeddings, embedding_size]</summary>
    public string PositionEmbeddings => BertParameterNames.PositionEmbeddings;
    /// <summary>[type_vocab_size, embedding_size]; null for families without token types.</summary>
    public string? TokenTypeEmbeddings { get; }
    public string EmbeddingsLayerNormWeight => BertParameterNames.EmbeddingsLayerNormWeight;
    public string EmbeddingsLayerNormBias => BertParameterNames.EmbeddingsLayerNormBias;
    /// <summary>ELECTRA: [hidden, embedding_size] (only stored when the two differ); null otherwise.</summary>
    public string? EmbeddingsProjectWeight { get; }
    public string? EmbeddingsProjectBias { get; }
    /// <summary>MPNet: [relative_attention_num_buckets, heads], shared by every layer; null otherwise.</summary>
    public string? RelativeAttentionBias { get; }
    public string PoolerDenseWeight => BertParameterNames.PoolerDenseWeight;
    public string PoolerDenseBias => BertParameterNames.PoolerDenseBias;
    /// <summary>"encoder.layer." or "transformer.layer.", followed by the layer index.</summary>
    public string LayerPrefix { get; }

    private EncoderParameterNames(EncoderArchitecture a)
    {
        Architecture = a;
        TokenTypeEmbeddings = a.HasTokenTypes ? BertParameterNames.TokenTypeEmbeddings : null;
        if (a.HasEmbeddingSize) { EmbeddingsProjectWeight = "embeddings_project.weight"; EmbeddingsProjectBias = "embeddings_project.bias"; }
        if (a.HasRelativeAttentionBias) RelativeAttentionBias = "encoder.relative_attention_bias.weight";
        LayerPrefix = a.LayerNaming == LayerNaming.DistilBert ? "transformer.layer." : "encoder.layer.";
    }

    private static Dictionary<EncoderArchitecture, EncoderParameterNames> Build()
    {
        var map = new Dictionary<EncoderArchitecture, EncoderParameterNames>();
        foreach (EncoderArchitecture a in EncoderArchitecture.All) map.Add(a, new EncoderParameterNames(a));
        return map;
    }

    public static EncoderParameterNames For(EncoderArchitecture architecture) => s_byArchitecture[architecture];

    /// <summary>Names of encoder layer <paramref name="index"/>.</summary>
    public BertLayerParameterNames Layer(int index) => new(index, Architecture.LayerNaming);

    /// <summary>True when the embeddings are projected: ELECTRA with embedding_size ≠ hidden_size.</summary>
    public static bool ProjectsEmbeddings(BertConfig config) => config.Encoder.HasEmbeddingSize && config.EmbeddingSize != config.HiddenSize;

    /// <summary>Every parameter of the encoder in load order: embeddings, projection, each layer, relative bias, pooler.</summary>
    public IReadOnlyList<ExpectedTensor> ForEncoder(BertConfig config, bool withPooler)
    {
        int h = config.HiddenSize, e = config.EmbeddingSize, inter = config.IntermediateSize;
        var list = new List<ExpectedTensor>
        {
            new(WordEmbeddings, [config.VocabSize, e]),
            new(PositionEmbeddings, [config.MaxPositionEmbeddings, e]),
        };
        if (TokenTypeEmbeddings is not null) list.Add(new(TokenTypeEmbeddings, [config.TypeVocabSize, e]));
        list.Add(new(EmbeddingsLayerNormWeight, [e]));
        list.Add(new(EmbeddingsLayerNormBias, [e]));
        if (ProjectsEmbeddings(config))
        {
            list.Add(new(EmbeddingsProjectWeight!, [h, e]));
            list.Add(new(EmbeddingsProjectBias!, [h]));
        }
        for (int i = 0; i < config.NumHiddenLayers; i++)
        {
            var l = Layer(i);
            list.Add(new(l.QueryWeight, [h, h]));
            list.Add(new(l.QueryBias, [h]));
            list.Add(new(l.KeyWeight, [h, h]));
            list.Add(new(l.KeyBias, [h]));
            list.Add(new(l.ValueWeight, [h, h]));
            list.Add(new(l.ValueBias, [h]));
            list.Add(new(l.AttentionOutputDenseWeight, [h, h]));
            list.Add(new(l.AttentionOutputDenseBias, [h]));
            list.Add(new(l.AttentionOutputLayerNormWeight, [h]));
            list.Add(new(l.AttentionOutputLayerNormBias, [h]));
            list.Add(new(l.IntermediateDenseWeight, [inter, h]));
            list.Add(new(l.IntermediateDenseBias, [inter]));
            list.Add(new(l.OutputDenseWeight, [h, inter]));
            list.Add(new(l.OutputDenseBias, [h]));
            list.Add(new(l.OutputLayerNormWeight, [h]));
            list.Add(new(l.OutputLayerNormBias, [h]));
        }
        if (RelativeAttentionBias is not null)
            list.Add(new(RelativeAttentionBias, [config.RelativeAttentionNumBuckets, config.NumAttentionHeads]));
        if (withPooler)
        {
            list.Add(new(PoolerDenseWeight, [h, h]));
            list.Add(new(PoolerDenseBias, [h]));
        }
        return list;
    }
}
