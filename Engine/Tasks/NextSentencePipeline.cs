using BertSharp.Engine.Model.Heads;

namespace BertSharp.Engine.Tasks;

/// <summary>Next-sentence prediction: the probability that text B follows text A (softmax index 0 of cls.seq_relationship).</summary>
public sealed class NextSentencePipeline(BertForNextSentencePrediction model)
{
    public BertForNextSentencePrediction Model { get; } = model;
    /// <summary>Thread budget per call (≤ 0 = all cores, 1 = the calling thread only).</summary>
    public int MaxThreads { get; init; }

    public float IsNext(string textA, string textB, CancellationToken cancellationToken = default) =>
        IsNext([textA], [textB], cancellationToken)[0];

    /// <summary>One probability per pair, as one batch; cancellable before each encoder layer.</summary>
    public float[] IsNext(IReadOnlyList<string> textsA, IReadOnlyList<string> textsB, CancellationToken cancellationToken = default)
    {
        var (batch, _) = TaskInputs.Encode(Model.Bert, textsA, [.. textsB]);
        NextSentencePredictorOutput o = Model.Run(batch, new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken });
        var p = new float[textsA.Count];
        for (int i = 0; i < p.Length; i++) p[i] = LabelScores.IsNextProbability(o.Logits.AsSpan(2 * i, 2));
        return p;
    }
}
