using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// A BERT encoder with a task head on top (HF BertFor…). Immutable after load and safe to share between threads.
/// <see cref="BertHeads.Load(string)"/> picks the head from config.json "architectures"; each head class also has its
/// own Load for checkpoints of another architecture that carry its tensors (e.g. BertForPreTraining → fill-mask).
/// </summary>
public abstract class BertTaskModel
{
    /// <summary>The encoder (with pooler when the head needs one).</summary>
    public BertModel Bert { get; }
    public BertConfig Config => Bert.Config;
    /// <summary>Stored tensors used by neither the encoder nor the head (transformers warns about these).</summary>
    public IReadOnlyList<string> UnexpectedTensors { get; }
    /// <summary>The Hugging Face class name, e.g. "BertForMaskedLM".</summary>
    public abstract string Architecture { get; }

    private protected BertTaskModel(BertModel bert, IReadOnlyList<string> unexpectedTensors)
    {
        Bert = bert;
        UnexpectedTensors = unexpectedTensors;
    }

    /// <summary>num_labels from config.json (num_labels, else the size of id2label), else transformers' default 2.</summary>
    internal static int ConfigNumLabels(BertConfig config) => config.NumLabels ?? 2;

    /// <summary>Label names by id: id2label, else transformers' default "LABEL_{i}".</summary>
    internal static string[] LabelNames(BertConfig config, int numLabels)
    {
        var names = new string[numLabels];
        for (int i = 0; i < numLabels; i++)
            names[i] = config.Id2Label.TryGetValue(i, out string? label) ? label : "LABEL_" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return names;
    }

    /// <summary>
    /// For heads that are one linear layer over the encoder (classifier, qa_outputs, cls.seq_relationship): checks the
    /// checkpoint fits (<see cref="HeadTensors.Verify"/>: the encoder, with a pooler or not, and the head [out, hidden]),
    /// then loads the encoder and the head. Without a pooler, a stored one is not unexpected.
    /// </summary>
    private protected static (BertModel Bert, Linear Head, IReadOnlyList<string> Unexpected) LoadLinearHead(Checkpoint checkpoint,
        LoadOptions? options, string architecture, bool withPooler, string weightName, string biasName, int outFeatures)
    {
        BertConfig c = checkpoint.Config;
        var unexpected = HeadTensors.Verify(checkpoint, architecture,
            [.. BertParameterNames.ForBertModel(c, withPooler), .. HeadTensors.Linear(weightName, biasName, outFeatures, c.HiddenSize)],
            withPooler ? [] : [BertParameterNames.PoolerDenseWeight, BertParameterNames.PoolerDenseBias]);
        BertModel bert = BertModel.Load(checkpoint, options);
        return (bert, LinearLoader.Load(checkpoint, weightName, biasName, outFeatures, c.HiddenSize), unexpected);
    }

    internal static Checkpoint Open(string directory, LoadOptions? options = null)
    {
        // A folder, or a hub id resolved through the Hugging Face cache.
        return Checkpoint.Open(BertSharp.Weights.Hub.ModelResolver.Resolve(directory, options?.Hub));
    }
}
