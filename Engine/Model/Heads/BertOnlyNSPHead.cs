using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>HF cls.seq_relationship: [2, hidden] on pooler_output; index 0 = IsNext (B follows A), 1 = random.</summary>
internal static class BertOnlyNSPHead
{
    public static ExpectedTensor[] Expected(BertConfig config) =>
        HeadTensors.Linear(BertParameterNames.SeqRelationshipWeight, BertParameterNames.SeqRelationshipBias, 2, config.HiddenSize);

    public static Linear Load(Checkpoint checkpoint) => LinearLoader.Load(checkpoint,
        BertParameterNames.SeqRelationshipWeight, BertParameterNames.SeqRelationshipBias, 2, checkpoint.Config.HiddenSize);

    /// <summary>[batch, 2] from pooler_output [batch, hidden].</summary>
    public static float[] Forward(Linear seqRelationship, ModelOutput encoder, int maxThreads)
    {
        var logits = new float[encoder.BatchSize * 2];
        seqRelationship.Forward(encoder.PoolerOutput!, encoder.BatchSize, logits, maxThreads);
        return logits;
    }
}
