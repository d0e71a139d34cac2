using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// HF BertForMaskedLM: BertModel (no pooler: add_pooling_layer=False) + <see cref="BertLMPredictionHead"/>.
/// Also loads BertForPreTraining checkpoints (same cls.predictions tensors; cls.seq_relationship is then unexpected).
/// </summary>
public sealed class BertForMaskedLM : BertTaskModel
{
    public const string ArchitectureName = "BertForMaskedLM";
    public override string Architecture => ArchitectureName;
    public BertLMPredictionHead Cls { get; }

    private BertForMaskedLM(BertModel bert, BertLMPredictionHead cls, IReadOnlyList<string> unexpected) : base(bert, unexpected) => Cls = cls;

    public static BertForMaskedLM Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static BertForMaskedLM Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = Open(directory, options);
        return Load(checkpoint, options);
    }

    public static BertForMaskedLM Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32); null = fp32</param>
    public static BertForMaskedLM Load(Checkpoint checkpoint, LoadOptions? options)
    {
        BertConfig c = checkpoint.Config;
        var unexpected = HeadTensors.Verify(checkpoint, ArchitectureName,
            [.. BertParameterNames.ForBertModel(c, withPooler: false), .. BertLMPredictionHead.Expected(checkpoint)],
            [BertParameterNames.PoolerDenseWeight, BertParameterNames.PoolerDenseBias, .. BertLMPredictionHead.OptionalTensors]);
        BertModel bert = BertModel.Load(checkpoint, BertLMPredictionHead.EncoderOptions(c, options));
        return new BertForMaskedLM(bert, BertLMPredictionHead.Load(checkpoint, bert.Embeddings.WordEmbeddingTable), unexpected);
    }

    /// <summary>
    /// Logits [batch, seq, vocab] for every token (a vocab-sized row per token: use <see cref="LogitsAt"/> for a few positions).
    /// options.CancellationToken is checked in the encoder and once more before the vocabulary projection.
    /// </summary>
    public MaskedLMOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        ModelOutput encoder = Bert.Run(batch, options);
        options.CancellationToken.ThrowIfCancellationRequested();
        return new MaskedLMOutput(encoder, Cls.Forward(encoder, options.MaxThreads), Cls.VocabSize);
    }

    /// <summary>Logits [vocab] of token t in row b of an encoder output (e.g. at a [MASK]).</summary>
    public float[] LogitsAt(ModelOutput encoder, int b, int t, int maxThreads = 0)
    {
        if ((uint)b >= (uint)encoder.BatchSize || (uint)t >= (uint)encoder.SequenceLength)
            throw new BertInputException($"position [{b},{t}] is outside the batch [{encoder.BatchSize},{encoder.SequenceLength}]");
        var logits = new float[Cls.VocabSize];
        Cls.Forward(encoder.TokenVector(b, t), 1, logits, maxThreads);
        return logits;
    }
}
