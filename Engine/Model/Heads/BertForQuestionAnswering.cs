using BertSharp.Weights;

namespace BertSharp.Engine.Model.Heads;

/// <summary>
/// HF BertForQuestionAnswering: BertModel without pooler, qa_outputs: [2, hidden] per token;
/// start_logits = [..., 0], end_logits = [..., 1].
/// </summary>
public sealed class BertForQuestionAnswering : BertTaskModel
{
    public const string ArchitectureName = "BertForQuestionAnswering";
    public override string Architecture => ArchitectureName;
    public Linear QaOutputs { get; }

    private BertForQuestionAnswering(BertModel bert, Linear qaOutputs, IReadOnlyList<string> unexpected) : base(bert, unexpected) =>
        QaOutputs = qaOutputs;

    public static BertForQuestionAnswering Load(string directory) => Load(directory, null);

    /// <param name="options">int8 quantization of the encoder, hub settings; null = fp32</param>
    public static BertForQuestionAnswering Load(string directory, LoadOptions? options)
    {
        using Checkpoint checkpoint = Open(directory, options);
        return Load(checkpoint, options);
    }

    public static BertForQuestionAnswering Load(Checkpoint checkpoint) => Load(checkpoint, null);

    /// <param name="options">int8 quantization of the encoder (the head stays fp32); null = fp32</param>
    public static BertForQuestionAnswering Load(Checkpoint checkpoint, LoadOptions? options)
    {
        var (bert, head, unexpected) = LoadLinearHead(checkpoint, options, ArchitectureName, withPooler: false,
            BertParameterNames.QaOutputsWeight, BertParameterNames.QaOutputsBias, 2);
        return new BertForQuestionAnswering(bert, head, unexpected);
    }

    /// <summary>StartLogits and EndLogits [batch, seq].</summary>
    public QuestionAnsweringModelOutput Run(BertBatch batch, RunOptions? options = null)
    {
        options ??= RunOptions.Default;
        ModelOutput encoder = Bert.Run(batch, options);
        int bt = batch.BatchSize * batch.SequenceLength;
        var both = new float[bt * 2];   // [batch, seq, 2]
        int threads = options.MaxThreads;
        TokenRows.Apply(batch, encoder.LastHiddenState, encoder.HiddenSize, both, 2, (x, n, y) => QaOutputs.Forward(x, n, y, threads));
        var start = new float[bt]; var end = new float[bt];
        for (int i = 0; i < bt; i++) { start[i] = both[2 * i]; end[i] = both[2 * i + 1]; }
        return new QuestionAnsweringModelOutput(encoder, start, end);
    }
}
