using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>Loads the task model named by config.json "architectures" (its first entry).</summary>
public static class BertHeads
{
    public static readonly IReadOnlyList<string> SupportedArchitectures =
    [
        BertForMaskedLM.ArchitectureName, BertForSequenceClassification.ArchitectureName, BertForTokenClassification.ArchitectureName,
        BertForQuestionAnswering.ArchitectureName, BertForNextSentencePrediction.ArchitectureName, BertForPreTraining.ArchitectureName,
    ];

    public static BertTaskModel Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32), hub settings; null = fp32</param>
    public static BertTaskModel Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = BertTaskModel.Open(directory, options);
        return Load(checkpoint, options);
    }

    /// <summary>
    /// The head for architectures[0]; <see cref="ConfigException"/> naming config.json when it is absent, BertModel
    /// (no head: use <see cref="BertModel.Load(Checkpoint)"/>) or not a BERT head we know.
    /// </summary>
    public static BertTaskModel Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <summary>Same, with load options.</summary>
    public static BertTaskModel Load(Checkpoint checkpoint, LoadOptions? options)
    {
        IReadOnlyList<string> archs = checkpoint.Config.Architectures;
        string source = checkpoint.Config.SourceName;
        if (archs.Count == 0)
            throw new ConfigException($"{source}: field \"architectures\" is absent, so the task head is unknown; " +
                $"load a specific head (BertForMaskedLM.Load, …) or add \"architectures\": [\"BertFor…\"]");
        string arch = archs[0];
        return arch switch
        {
            BertForMaskedLM.ArchitectureName => BertForMaskedLM.Load(checkpoint, options),
            BertForSequenceClassification.ArchitectureName => BertForSequenceClassification.Load(checkpoint, options),
            BertForTokenClassification.ArchitectureName => BertForTokenClassification.Load(checkpoint, options),
            BertForQuestionAnswering.ArchitectureName => BertForQuestionAnswering.Load(checkpoint, options),
            BertForNextSentencePrediction.ArchitectureName => BertForNextSentencePrediction.Load(checkpoint, options),
            BertForPreTraining.ArchitectureName => BertForPreTraining.Load(checkpoint, options),
            "BertModel" => throw new ConfigException($"{source}: architectures is [\"BertModel\"]: the checkpoint has no task head (use BertModel.Load)"),
            _ => throw new ConfigException($"{source}: architectures[0] \"{arch}\" is not supported (expected one of {string.Join(", ", SupportedArchitectures)})"),
        };
    }
}
