using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// HF BertForTokenClassification: BertModel without pooler, logits = classifier(last_hidden_state) per token.
/// classifier: [num_labels, hidden]. Labels from config id2label (e.g. O, B-PER, I-PER, …).
/// </summary>
public sealed class BertForTokenClassification : BertTaskModel
{
    public const string ArchitectureName = "BertForTokenClassification";
    public override string Architecture => ArchitectureName;
    public Linear Classifier { get; }
    public int NumLabels => Classifier.OutFeatures;
    public IReadOnlyList<string> Labels { get; }

    private BertForTokenClassification(BertModel bert, Linear classifier, IReadOnlyList<string> unexpected) : base(bert, unexpected)
    {
        Classifier = classifier;
        Labels = LabelNames(bert.Config, classifier.OutFeatures);
    }

    public static BertForTokenClassification Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static BertForTokenClassification Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = Open(directory, options);
        return Load(checkpoint, options);
    }

    public static BertForTokenClassification Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32); null = fp32</param>
    public static BertForTokenClassification Load(Checkpoint checkpoint, LoadOptions? options)
    {
        var (bert, head, unexpected) = LoadLinearHead(checkpoint, options, ArchitectureName, withPooler: false,
            BertParameterNames.ClassifierWeight, BertParameterNames.ClassifierBias, ConfigNumLabels(checkpoint.Config));
        return new BertForTokenClassification(bert, head, unexpected);
    }

    /// <summary>Logits [batch, seq, num_labels].</summary>
    public TokenClassifierOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        ModelOutput encoder = Bert.Run(batch, options);
        var logits = new float[batch.BatchSize * batch.SequenceLength * NumLabels];
        int threads = options.MaxThreads;
        TokenRows.Apply(batch, encoder.LastHiddenState, encoder.HiddenSize, logits, NumLabels,
            (x, n, y) => Classifier.Forward(x, n, y, threads));
        return new TokenClassifierOutput(encoder, logits, NumLabels);
    }
}
