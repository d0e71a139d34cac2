using BertSharp.Engine.Model.Heads;
using BertSharp.Tokenization;

namespace BertSharp.Engine.Tasks;

/// <summary>A candidate token for a [MASK]: id, token string, softmax probability over the vocabulary.</summary>
public sealed record TokenPrediction(int Id, string Token, float Score);

/// <summary>The top-k candidates at token index <paramref name="Position"/> of the encoded input.</summary>
public sealed record MaskPrediction(int Position, IReadOnlyList<TokenPrediction> Predictions);

/// <summary>Predictions per [MASK], and the input with every [MASK] replaced by its best candidate (decoded, no specials).</summary>
public sealed record FillMaskResult(IReadOnlyList<MaskPrediction> Masks, string Sequence);

/// <summary>
/// Fill-mask as Hugging Face's FillMaskPipeline: for every [MASK] token, softmax over the vocabulary and the top-k
/// tokens (ties: lower id first). A text without [MASK] is an error.
/// </summary>
public sealed class FillMaskPipeline(BertForMaskedLM model)
{
    public BertForMaskedLM Model { get; } = model;
    /// <summary>Thread budget per call (≤ 0 = all cores, 1 = the calling thread only).</summary>
    public int MaxThreads { get; init; }

    public FillMaskResult Predict(string text, string? textPair = null, int topK = 5, CancellationToken cancellationToken = default) =>
        Predict([text], [textPair], topK, cancellationToken)[0];

    /// <summary>One result per text; <paramref name="cancellationToken"/> is checked in the encoder and between masks.</summary>
    public IReadOnlyList<FillMaskResult> Predict(IReadOnlyList<string> texts, IReadOnlyList<string?>? textPairs = null, int topK = 5,
        CancellationToken cancellationToken = default)
    {
        if (topK < 1) throw new BertInputException($"top-k {topK} must be at least 1");
        BertTokenizer tokenizer = Model.Bert.RequireTokenizer();
        var (batch, encodings) = TaskInputs.Encode(Model.Bert, texts, textPairs);
        int[][] masks = new int[encodings.Length][];
        for (int i = 0; i < encodings.Length; i++)
        {
            masks[i] = MaskPositions(encodings[i].Ids, tokenizer.MaskTokenId);
            if (masks[i].Length == 0)
                throw new BertInputException($"text {i} has no mask token ({tokenizer.IdToToken(tokenizer.MaskTokenId) ?? "[MASK]"}) to fill");
        }
        ModelOutput encoder = Model.Bert.Run(batch, new RunOptions { MaxThreads = MaxThreads, CancellationToken = cancellationToken });
        var results = new FillMaskResult[encodings.Length];
        for (int i = 0; i < encodings.Length; i++)
        {
            var predictions = new MaskPrediction[masks[i].Length];
            for (int m = 0; m < masks[i].Length; m++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                IndexScore[] top = Scoring.TopKProbabilities(Model.LogitsAt(encoder, i, masks[i][m], MaxThreads), topK);
                var list = new TokenPrediction[top.Length];
                for (int k = 0; k < top.Length; k++)
                    list[k] = new TokenPrediction(top[k].Index, tokenizer.IdToToken(top[k].Index) ?? "", top[k].Score);
                predictions[m] = new MaskPrediction(masks[i][m], list);
            }
            results[i] = new FillMaskResult(predictions, tokenizer.Decode(Filled(encodings[i].Ids, predictions), skipSpecialTokens: true));
        }
        return results;
    }

    /// <summary>Token indices whose id is the mask id.</summary>
    public static int[] MaskPositions(ReadOnlySpan<int> ids, int maskId)
    {
        var list = new List<int>();
        for (int i = 0; i < ids.Length; i++) if (ids[i] == maskId) list.Add(i);
        return [.. list];
    }

    /// <summary>The ids with each mask replaced by its first (best) prediction.</summary>
    public static int[] Filled(ReadOnlySpan<int> ids, IReadOnlyList<MaskPrediction> masks)
    {
        int[] filled = ids.ToArray();
        foreach (MaskPrediction m in masks)
            if (m.Predictions.Count > 0) filled[m.Position] = m.Predictions[0].Id;
        return filled;
    }
}
