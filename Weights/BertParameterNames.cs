using System.Globalization;

namespace BertSharp.Weights;

/// <summary>A parameter the model needs: its canonical Hugging Face name (no "bert." prefix) and expected shape.</summary>
public sealed record ExpectedTensor(string Name, int[] Shape)
{
    public override string ToString() => $"{Name} {TensorInfo.FormatShape(Shape)}";
}

/// <summary>
/// Canonical parameter names as transformers saves a BertModel (without the "bert." prefix task models add;
/// <see cref="Checkpoint.Resolve"/> finds them either way). Linear weights are [out_features, in_features].
/// </summary>
public static class BertParameterNames
{
    // Embeddings. word: [vocab, hidden], position: [max_position, hidden], token_type: [type_vocab, hidden].
    public const string WordEmbeddings = "embeddings.word_embeddings.weight";
    public const string PositionEmbeddings = "embeddings.position_embeddings.weight";
    public const string TokenTypeEmbeddings = "embeddings.token_type_embeddings.weight";
    public const string EmbeddingsLayerNormWeight = "embeddings.LayerNorm.weight";
    public const string EmbeddingsLayerNormBias = "embeddings.LayerNorm.bias";
    /// <summary>Legacy persistent buffer (transformers &lt; 4.31), I64 [1, max_position]; ignored like transformers does.</summary>
    public const string PositionIdsBuffer = "embeddings.position_ids";

    // Pooler: dense [hidden, hidden] + tanh on the first token.
    public const string PoolerDenseWeight = "pooler.dense.weight";
    public const string PoolerDenseBias = "pooler.dense.bias";

    // Heads (top-level names, never prefixed).
    public const string MlmTransformDenseWeight = "cls.predictions.transform.dense.weight";   // [hidden, hidden]
    public const string MlmTransformDenseBias = "cls.predictions.transform.dense.bias";
    public const string MlmTransformLayerNormWeight = "cls.predictions.transform.LayerNorm.weight";
    public const string MlmTransformLayerNormBias = "cls.predictions.transform.LayerNorm.bias";
    /// <summary>[vocab]; the decoder bias is tied to it.</summary>
    public const string MlmBias = "cls.predictions.bias";
    /// <summary>[vocab, hidden]; usually absent (tied to <see cref="WordEmbeddings"/>).</summary>
    public const string MlmDecoderWeight = "cls.predictions.decoder.weight";
    /// <summary>[vocab]; usually absent (tied to <see cref="MlmBias"/>).</summary>
    public const string MlmDecoderBias = "cls.predictions.decoder.bias";
    public const string SeqRelationshipWeight = "cls.seq_relationship.weight";  // [2, hidden]
    public const string SeqRelationshipBias = "cls.seq_relationship.bias";
    public const string ClassifierWeight = "classifier.weight";                 // [num_labels, hidden]
    public const string ClassifierBias = "classifier.bias";
    public const string QaOutputsWeight = "qa_outputs.weight";                  // [2, hidden]
    public const string QaOutputsBias = "qa_outputs.bias";

    /// <summary>The prefix task models put before the encoder's names.</summary>
    public const string BertPrefix = "bert.";

    // Sequence-classification heads of the other families (top-level names).
    /// <summary>RobertaClassificationHead (and XLM-R, CamemBERT, MPNet, ELECTRA): dense [hidden, hidden] on the first token.</summary>
    public const string ClassifierDenseWeight = "classifier.dense.weight";
    public const string ClassifierDenseBias = "classifier.dense.bias";
    /// <summary>… then out_proj [num_labels, hidden].</summary>
    public const string ClassifierOutProjWeight = "classifier.out_proj.weight";
    public const string ClassifierOutProjBias = "classifier.out_proj.bias";
    /// <summary>DistilBertForSequenceClassification: pre_classifier [hidden, hidden], ReLU, then classifier [num_labels, hidden].</summary>
    public const string PreClassifierWeight = "pre_classifier.weight";
    public const string PreClassifierBias = "pre_classifier.bias";

    /// <summary>The task heads other families than BERT have here (their masked-LM and pre-training heads are not supported).</summary>
    private static readonly string[] FamilyTasks = ["Model", "ForSequenceClassification", "ForTokenClassification", "ForQuestionAnswering"];

    /// <summary>
    /// True when transformers builds <paramref name="architecture"/>'s encoder with a pooler
    /// (BertForMaskedLM, BertForTokenClassification and BertForQuestionAnswering use add_pooling_layer=False; of the
    /// other families only the bare RobertaModel, XLMRobertaModel, CamembertModel and MPNetModel have one).
    /// </summary>
    public static bool HasPooler(string architecture, BertConfig config)
    {
        if (config.Encoder != EncoderArchitecture.Bert)
            return FamilyTask(architecture, config) == "Model" && config.Encoder.CanHavePooler;
        return architecture switch
        {
            "BertModel" or "BertForSequenceClassification" or "BertForNextSentencePrediction" or "BertForPreTraining" => true,
            "BertForMaskedLM" or "BertForTokenClassification" or "BertForQuestionAnswering" => false,
            _ => throw UnknownArchitecture(architecture, config),
        };
    }

    /// <summary>The task ("Model", "ForSequenceClassification", …) of a non-BERT family's class, or an error naming it.</summary>
    private static string FamilyTask(string architecture, BertConfig config)
    {
        string? task = config.Encoder.TaskOf(architecture);
        if (task is null || Array.IndexOf(FamilyTasks, task) < 0) throw UnknownArchitecture(architecture, config);
        return task;
    }

    /// <summary>
    /// The head's own parameters (top-level names) for a Hugging Face class name. Tied copies are not listed: the
    /// MLM decoder weight only when tie_word_embeddings is false; the decoder bias never (it is cls.predictions.bias).
    /// Classifier rows = num_labels (config), 2 when config.json has neither num_labels nor id2label.
    /// </summary>
    public static IReadOnlyList<ExpectedTensor> ForHead(string architecture, BertConfig config)
    {
        int h = config.HiddenSize;
        int labels = config.NumLabels ?? 2;
        var list = new List<ExpectedTensor>();
        if (config.Encoder != EncoderArchitecture.Bert)
        {
            switch (FamilyTask(architecture, config))
            {
                case "ForSequenceClassification" when config.Encoder == EncoderArchitecture.DistilBert:
                    list.Add(new(PreClassifierWeight, [h, h]));
                    list.Add(new(PreClassifierBias, [h]));
                    list.Add(new(ClassifierWeight, [labels, h]));
                    list.Add(new(ClassifierBias, [labels]));
                    break;
                case "ForSequenceClassification":
                    list.Add(new(ClassifierDenseWeight, [h, h]));
                    list.Add(new(ClassifierDenseBias, [h]));
                    list.Add(new(ClassifierOutProjWeight, [labels, h]));
                    list.Add(new(ClassifierOutProjBias, [labels]));
                    break;
                case "ForTokenClassification":
                    list.Add(new(ClassifierWeight, [labels, h]));
                    list.Add(new(ClassifierBias, [labels]));
                    break;
                case "ForQuestionAnswering":
                    list.Add(new(QaOutputsWeight, [2, h]));
                    list.Add(new(QaOutputsBias, [2]));
                    break;
            }
            return list;
        }
        switch (architecture)
        {
            case "BertModel":
                break;
            case "BertForMaskedLM":
                AddMaskedLm(list, config);
                break;
            case "BertForPreTraining":
                AddMaskedLm(list, config);
                list.Add(new(SeqRelationshipWeight, [2, h]));
                list.Add(new(SeqRelationshipBias, [2]));
                break;
            case "BertForNextSentencePrediction":
                list.Add(new(SeqRelationshipWeight, [2, h]));
                list.Add(new(SeqRelationshipBias, [2]));
                break;
            case "BertForSequenceClassification":
            case "BertForTokenClassification":
                list.Add(new(ClassifierWeight, [labels, h]));
                list.Add(new(ClassifierBias, [labels]));
                break;
            case "BertForQuestionAnswering":
                list.Add(new(QaOutputsWeight, [2, h]));
                list.Add(new(QaOutputsBias, [2]));
                break;
            default:
                throw UnknownArchitecture(architecture, config);
        }
        return list;
    }

    /// <summary>Everything a Hugging Face class loads: its BertModel (pooler per <see cref="HasPooler"/>) and its head.</summary>
    public static IReadOnlyList<ExpectedTensor> ForArchitecture(string architecture, BertConfig config)
    {
        var list = new List<ExpectedTensor>(ForBertModel(config, HasPooler(architecture, config)));
        list.AddRange(ForHead(architecture, config));
        return list;
    }

    private static void AddMaskedLm(List<ExpectedTensor> list, BertConfig config)
    {
        int h = config.HiddenSize;
        list.Add(new(MlmTransformDenseWeight, [h, h]));
        list.Add(new(MlmTransformDenseBias, [h]));
        list.Add(new(MlmTransformLayerNormWeight, [h]));
        list.Add(new(MlmTransformLayerNormBias, [h]));
        list.Add(new(MlmBias, [config.VocabSize]));
        if (!config.TieWordEmbeddings) list.Add(new(MlmDecoderWeight, [config.VocabSize, h]));
    }

    private static ConfigException UnknownArchitecture(string architecture, BertConfig config)
    {
        EncoderArchitecture a = config.Encoder;
        string expected = a == EncoderArchitecture.Bert
            ? "BertModel, BertForMaskedLM, BertForPreTraining, BertForNextSentencePrediction, BertForSequenceClassification, BertForTokenClassification or BertForQuestionAnswering"
            : string.Join(", ", FamilyTasks.Select(t => a.ClassPrefix + t)) + $" (model_type \"{a.ModelType}\")";
        return new($"{config.SourceName}: architectures \"{architecture}\" is not supported (expected {expected})");
    }

    /// <summary>
    /// The parameter a head reads instead of <paramref name="hfName"/> because transformers ties them, or null:
    /// the MLM decoder weight IS the word embeddings when tie_word_embeddings (the default), and the decoder bias IS
    /// cls.predictions.bias always. Checkpoints usually omit the tied copy; when an old file stores it, transformers
    /// still uses the tied tensor, so a loader should read the returned name whenever it is not null.
    /// </summary>
    public static string? TiedSource(string hfName, BertConfig config)
    {
        string name = hfName.StartsWith(BertPrefix, StringComparison.Ordinal) ? hfName[BertPrefix.Length..] : hfName;
        return name switch
        {
            MlmDecoderWeight when config.TieWordEmbeddings => WordEmbeddings,
            MlmDecoderBias => MlmBias,
            _ => null,
        };
    }

    /// <summary>Names of encoder layer <paramref name="index"/>.</summary>
    public static BertLayerParameterNames Layer(int index) => new(index);

    /// <summary>
    /// Every parameter of the encoder config.json's model_type names (a BertModel, RobertaModel, …) in load order,
    /// with shapes from <paramref name="config"/>: embeddings, each layer, then the pooler when <paramref name="withPooler"/>.
    /// </summary>
    public static IReadOnlyList<ExpectedTensor> ForBertModel(BertConfig config, bool withPooler) =>
        EncoderParameterNames.For(config.Encoder).ForEncoder(config, withPooler);
}

/// <summary>Parameter names of one encoder layer, "encoder.layer.{i}.…" (DistilBERT: "transformer.layer.{i}.…").</summary>
public sealed class BertLayerParameterNames
{
    public BertLayerParameterNames(int index) : this(index, LayerNaming.Bert) { }

    /// <summary>Layer <paramref name="index"/>'s names as the family spells them (DistilBERT and MPNet rename the same modules).</summary>
    public BertLayerParameterNames(int index, LayerNaming naming)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        Index = index;
        string i = index.ToString(CultureInfo.InvariantCulture);
        (string p, string q, string k, string v, string o, string attnNorm, string inter, string output, string outNorm) = naming switch
        {
            LayerNaming.DistilBert => ("transformer.layer." + i + ".", "attention.q_lin", "attention.k_lin", "attention.v_lin", "attention.out_lin",
                "sa_layer_norm", "ffn.lin1", "ffn.lin2", "output_layer_norm"),
            LayerNaming.MPNet => ("encoder.layer." + i + ".", "attention.attn.q", "attention.attn.k", "attention.attn.v", "attention.attn.o",
                "attention.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"),
            _ => ("encoder.layer." + i + ".", "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                "attention.output.LayerNorm", "intermediate.dense", "output.dense", "output.LayerNorm"),
        };
        Prefix = p;
        QueryWeight = p + q + ".weight";
        QueryBias = p + q + ".bias";
        KeyWeight = p + k + ".weight";
        KeyBias = p + k + ".bias";
        ValueWeight = p + v + ".weight";
        ValueBias = p + v + ".bias";
        AttentionOutputDenseWeight = p + o + ".weight";
        AttentionOutputDenseBias = p + o + ".bias";
        AttentionOutputLayerNormWeight = p + attnNorm + ".weight";
        AttentionOutputLayerNormBias = p + attnNorm + ".bias";
        IntermediateDenseWeight = p + inter + ".weight";
        IntermediateDenseBias = p + inter + ".bias";
        OutputDenseWeight = p + output + ".weight";
        OutputDenseBias = p + output + ".bias";
        OutputLayerNormWeight = p + outNorm + ".weight";
        OutputLayerNormBias = p + outNorm + ".bias";
    }

    public int Index { get; }
    /// <summary>"encoder.layer.{i}." ("transformer.layer.{i}." for DistilBERT)</summary>
    public string Prefix { get; }
    // Self-attention projections: weight [hidden, hidden], bias [hidden].
    public string QueryWeight { get; }
    public string QueryBias { get; }
    public string KeyWeight { get; }
    public string KeyBias { get; }
    public string ValueWeight { get; }
    public string ValueBias { get; }
    // Attention output: dense [hidden, hidden] + residual + LayerNorm [hidden].
    public string AttentionOutputDenseWeight { get; }
    public string AttentionOutputDenseBias { get; }
    public string AttentionOutputLayerNormWeight { get; }
    public string AttentionOutputLayerNormBias { get; }
    // Feed-forward: intermediate [intermediate, hidden] + activation, output [hidden, intermediate] + residual + LayerNorm.
    public string IntermediateDenseWeight { get; }
    public string IntermediateDenseBias { get; }
    public string OutputDenseWeight { get; }
    public string OutputDenseBias { get; }
    public string OutputLayerNormWeight { get; }
    public string OutputLayerNormBias { get; }
}
