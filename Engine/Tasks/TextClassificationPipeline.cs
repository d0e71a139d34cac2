using BertSharp.Engine.Model.Heads;

namespace BertSharp.Engine.Tasks;

/// <summary>Text (or text-pair) classification with a BertForSequenceClassification: label + score per label.</summary>
public sealed class TextClassificationPipeline(BertForSequenceClassification model)
{
    public BertForSequenceClassification Model { get; } = model;
    /// <summary>Thread budget per call (≤ 0 = all cores, 1 = the calling thread only).</summary>
    public int MaxThreads { get; init; }

    public ClassificationResult Classify(string text, string? textPair = null, CancellationToken cancellationToken = default) =>
        Classify([text], [textPair], cancellationToken)[0];

    /// <summary>One result per text, as one batch; cancellable before each encoder layer.</summary>
    public IReadOnlyList<ClassificationResult> Classify(IReadOnlyList<string> texts, IReadOnlyList<string?>? textPairs = null,
        CancellationToken cancellationToken = default)
    {
        var (batch, _) = TaskInputs.Encode(Model.Bert, texts, textPairs);
        SequenceClassifierOutput o = Model.Run(batch, new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken });
        var results = new ClassificationResult[texts.Count];
        for (int i = 0; i < results.Length; i++)
            results[i] = LabelScores.FromLogits(o.Logits.AsSpan(i * o.NumLabels, o.NumLabels), Model.Labels, Model.ProblemType);
        return results;
    }
}
