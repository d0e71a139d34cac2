using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// HF BertForNextSentencePrediction: BertModel with pooler, logits = cls.seq_relationship(pooler_output) [batch, 2];
/// softmax index 0 is the probability that text B follows text A. Also loads BertForPreTraining checkpoints.
/// </summary>
public sealed class BertForNextSentencePrediction : BertTaskModel
{
    public const string ArchitectureName = "BertForNextSentencePrediction";
    public override string Architecture => ArchitectureName;
    /// <summary>[2, hidden].</summary>
    public Linear SeqRelationship { get; }

    private BertForNextSentencePrediction(BertModel bert, Linear seqRelationship, IReadOnlyList<string> unexpected) : base(bert, unexpected) =>
        SeqRelationship = seqRelationship;

    public static BertForNextSentencePrediction Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static BertForNextSentencePrediction Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = Open(directory, options);
        return Load(checkpoint, options);
    }

    public static BertForNextSentencePrediction Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32); null = fp32</param>
    public static BertForNextSentencePrediction Load(Checkpoint checkpoint, LoadOptions? options)
    {
        var (bert, head, unexpected) = LoadLinearHead(checkpoint, options, ArchitectureName, withPooler: true,
            BertParameterNames.SeqRelationshipWeight, BertParameterNames.SeqRelationshipBias, 2);
        return new BertForNextSentencePrediction(bert, head, unexpected);
    }

    /// <summary>Logits [batch, 2].</summary>
    public NextSentencePredictorOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        ModelOutput encoder = Bert.Run(batch, options);
        return new NextSentencePredictorOutput(encoder, BertOnlyNSPHead.Forward(SeqRelationship, encoder, options.MaxThreads));
    }
}
