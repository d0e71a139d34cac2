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
/// </summary>
public sealed class BertForSequenceClassification : BertTaskModel
{
    public const string ArchitectureName = "BertForSequenceClassification";
    public override string Architecture => ArchitectureName;
    public Linear Classifier { get; }
    public int NumLabels => Classifier.OutFeatures;
    /// <summary>Label name per id (id2label, else LABEL_i).</summary>
    public IReadOnlyList<string> Labels { get; }
    /// <summary>
    /// From config problem_type; when absent as transformers' pipeline decides: one label → multi-label (sigmoid),
    /// several → single-label (softmax).
    /// </summary>
    public ProblemType ProblemType { get; }

    private BertForSequenceClassification(BertModel bert, Linear classifier, IReadOnlyList<string> unexpected) : base(bert, unexpected)
    {
        Classifier = classifier;
        Labels = LabelNames(bert.Config, classifier.OutFeatures);
        ProblemType = bert.Config.ProblemType switch
        {
            "regression" => ProblemType.Regression,
            "multi_label_classification" => ProblemType.MultiLabelClassification,
            "single_label_classification" => ProblemType.SingleLabelClassification,
            _ => classifier.OutFeatures == 1 ? ProblemType.MultiLabelClassification : ProblemType.SingleLabelClassification,
        };
    }

    public static BertForSequenceClassification Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static BertForSequenceClassification Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = Open(directory, options);
        return Load(checkpoint, options);
    }

    public static BertForSequenceClassification Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32); null = fp32</param>
    public static BertForSequenceClassification Load(Checkpoint checkpoint, LoadOptions? options)
    {
        var (bert, head, unexpected) = LoadLinearHead(checkpoint, options, ArchitectureName, withPooler: true,
            BertParameterNames.ClassifierWeight, BertParameterNames.ClassifierBias, ConfigNumLabels(checkpoint.Config));
        return new BertForSequenceClassification(bert, head, unexpected);
    }

    /// <summary>Logits [batch, num_labels].</summary>
    public SequenceClassifierOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        ModelOutput encoder = Bert.Run(batch, options);
        float[] pooled = encoder.PoolerOutput!;
        var logits = new float[batch.BatchSize * NumLabels];
        Classifier.Forward(pooled, batch.BatchSize, logits, options.MaxThreads);
        return new SequenceClassifierOutput(encoder, logits, NumLabels);
    }
}
