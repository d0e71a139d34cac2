using BertSharp.Engine.Model.Heads;
using BertSharp.Tokenization;

namespace BertSharp.Engine.Tasks;

/// <summary>Named-entity recognition with a BertForTokenClassification, aggregated as <see cref="EntityAggregation"/>.</summary>
public sealed class TokenClassificationPipeline(BertForTokenClassification model)
{
    public BertForTokenClassification Model { get; } = model;
    /// <summary>Thread budget per call (≤ 0 = all cores, 1 = the calling thread only).</summary>
    public int MaxThreads { get; init; }
    /// <summary>Labels dropped from the result (HF ignore_labels).</summary>
    public IReadOnlyCollection<string> IgnoreLabels { get; init; } = ["O"];

    public IReadOnlyList<Entity> Recognize(string text, AggregationStrategy strategy = AggregationStrategy.Simple,
        CancellationToken cancellationToken = default) =>
        Recognize([text], strategy, cancellationToken)[0];

    /// <summary>Entities per text, as one batch; cancellable before each encoder layer.</summary>
    public IReadOnlyList<IReadOnlyList<Entity>> Recognize(IReadOnlyList<string> texts, AggregationStrategy strategy = AggregationStrategy.Simple,
        CancellationToken cancellationToken = default)
    {
        BertTokenizer tokenizer = Model.Bert.RequireTokenizer();
        var (batch, encodings) = TaskInputs.Encode(Model.Bert, texts, null);
        TokenClassifierOutput o = Model.Run(batch, new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken });
        int t = batch.SequenceLength, l = o.NumLabels;
        var results = new IReadOnlyList<Entity>[texts.Count];
        for (int i = 0; i < results.Length; i++)
            results[i] = EntityAggregation.Aggregate(o.Logits.AsSpan(i * t * l, encodings[i].Ids.Length * l),
                TokenAlignment.FromEncoding(encodings[i]), texts[i], Model.Labels, strategy, tokenizer.UnkTokenId, IgnoreLabels);
        return results;
    }
}
