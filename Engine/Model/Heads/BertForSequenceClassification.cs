using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>How sequence-classification logits become scores (config.json problem_type).</summary>
public enum ProblemType
{
    /// <summary>softmax over the labels.</summary>
    SingleLabelClassification,
    /// <summary>independent sigmoid per label.</summary>
    MultiLabelClassification,
    /// <summary>the logits are the predicted values.</summary>
    Regression,
}

/// <summary>
/// HF BertForSequenceClassification: BertModel with pooler, logits = classifier(pooler_output).
/// classifier: [num_labels, hidden]. Labels from config id2label.
/// The same class runs every family's ForSequenceClassification (RobertaForSequenceClassification,
/// XLMRobertaForSequenceClassification, CamembertForSequenceClassification, DistilBertForSequenceClassification,
/// ElectraForSequenceClassification, MPNetForSequenceClassification): only the <see cref="Head"/> differs, and
/// <see cref="Architecture"/> names the Hugging Face class.
/// </summary>
public sealed class BertForSequenceClassification : BertTaskModel
{
    public const string ArchitectureName = "BertForSequenceClassification";
    /// <summary>"BertForSequenceClassification", "RobertaForSequenceClassification", … after config.json model_type.</summary>
    public override string Architecture => Config.Encoder.ClassPrefix + "ForSequenceClassification";
    /// <summary>The layers from the encoder's output to the logits.</summary>
    public SequenceClassificationHead Head { get; }
    /// <summary>The last linear layer, [num_labels, hidden]: classifier (BERT, DistilBERT) or classifier.out_proj.</summary>
    public Linear Classifier => Head.Output;
    public int NumLabels => Classifier.OutFeatures;
    /// <summary>Label name per id (id2label, else LABEL_i).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>
    /// From config problem_type; when absent as transformers' pipeline decides: one label → multi-label (sigmoid),
    /// several → single-label (softmax).
    /// </summary>
    public ProblemType ProblemType { get; }

    private BertForSequenceClassification(BertModel bert, SequenceClassificationHead head, IReadOnlyList<string> unexpected) : base(bert, unexpected)
    {
        Head = head;
        SequenceClassificationHead classifier = head;
        Labels = LabelNames(bert.Config, classifier.Output.OutFeatures);
        ProblemType = bert.Config.ProblemType switch
        {
            "regression" => ProblemType.Regression,
            "multi_label_classification" => ProblemType.MultiLabelClassification,
            "single_label_classification" => ProblemType.SingleLabelClassification,
            _ => classifier.Output.OutFeatures == 1 ? ProblemType.MultiLabelClassification : ProblemType.SingleLabelClassification,
        };
    }

    public static BertForSequenceClassification Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static BertForSequenceClassification Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = Open(directory, options);
        return Load(checkpoint, options);
    }

    /// <summary>The head config.json model_type implies (its architectures entry is not needed here).</summary>
    public static BertForSequenceClassification Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32); null = fp32</param>
    public static BertForSequenceClassification Load(Checkpoint checkpoint, LoadOptions? options)
    {
        BertConfig c = checkpoint.Config;
        int labels = ConfigNumLabels(c);
        // BERT's head reads the pooler; the other families' heads read h[:, 0] and their encoders have no pooler.
        bool withPooler = c.Encoder == EncoderArchitecture.Bert;
        var unexpected = HeadTensors.Verify(checkpoint, c.Encoder.ClassPrefix + "ForSequenceClassification",
            [.. BertParameterNames.ForBertModel(c, withPooler), .. SequenceClassificationHead.Expected(c, labels)],
            withPooler ? [] : [BertParameterNames.PoolerDenseWeight, BertParameterNames.PoolerDenseBias]);
        BertModel bert = BertModel.Load(checkpoint, options);
        return new BertForSequenceClassification(bert, SequenceClassificationHead.Load(checkpoint, labels), unexpected);
    }

    /// <summary>Logits [batch, num_labels].</summary>
    public SequenceClassifierOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        ModelOutput encoder = Bert.Run(batch, options);
        var logits = new float[batch.BatchSize * NumLabels];
        Head.Forward(encoder, logits, options.MaxThreads);
        return new SequenceClassifierOutput(encoder, logits, NumLabels);
    }
}
