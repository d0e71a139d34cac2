using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// HF BertForPreTraining: BertModel with pooler + <see cref="BertLMPredictionHead"/> (prediction_logits) +
/// cls.seq_relationship on pooler_output (seq_relationship_logits). The original BERT checkpoints are of this class.
/// </summary>
public sealed class BertForPreTraining : BertTaskModel
{
    public const string ArchitectureName = "BertForPreTraining";
    public override string Architecture => ArchitectureName;
    public BertLMPredictionHead Predictions { get; }
    /// <summary>[2, hidden].</summary>
    public Linear SeqRelationship { get; }

    private BertForPreTraining(BertModel bert, BertLMPredictionHead predictions, Linear seqRelationship, IReadOnlyList<string> unexpected)
        : base(bert, unexpected)
    {
        Predictions = predictions; SeqRelationship = seqRelationship;
    }

    public static BertForPreTraining Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static BertForPreTraining Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = Open(directory, options);
        return Load(checkpoint, options);
    }

    public static BertForPreTraining Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32); null = fp32</param>
    public static BertForPreTraining Load(Checkpoint checkpoint, LoadOptions? options)
    {
        BertConfig c = checkpoint.Config;
        var unexpected = HeadTensors.Verify(checkpoint, ArchitectureName,
            [.. BertParameterNames.ForBertModel(c, withPooler: true), .. BertLMPredictionHead.Expected(checkpoint),
             .. BertOnlyNSPHead.Expected(c)],
            BertLMPredictionHead.OptionalTensors);
        BertModel bert = BertModel.Load(checkpoint, BertLMPredictionHead.EncoderOptions(c, options));
        return new BertForPreTraining(bert, BertLMPredictionHead.Load(checkpoint, bert.Embeddings.WordEmbeddingTable),
            BertOnlyNSPHead.Load(checkpoint), unexpected);
    }

    /// <summary>MLM logits [batch, seq, vocab] and NSP logits [batch, 2]; cancellation is checked before the vocabulary projection too.</summary>
    public BertForPreTrainingOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        ModelOutput encoder = Bert.Run(batch, options);
        options.CancellationToken.ThrowIfCancellationRequested();
        return new BertForPreTrainingOutput(encoder, Predictions.Forward(encoder, options.MaxThreads),
            BertOnlyNSPHead.Forward(SeqRelationship, encoder, options.MaxThreads), Predictions.VocabSize);
    }
}
