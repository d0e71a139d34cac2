using BertSharp.Tokenization;

namespace BertSharp.Engine;

/// <summary>How a word's WordPiece vectors ("bank", "##ing") become one word vector.</summary>
public enum WordPieceAggregation { Mean, First }

/// <summary>A word of the input text and its contextual vector.</summary>
/// <param name="Text">the word as written in the original text</param>
/// <param name="Start">UTF-16 start index in the original text</param>
/// <param name="End">UTF-16 end index (exclusive)</param>
public sealed record WordVector(int WordIndex, string Text, int Start, int End, float[] Vector);

/// <summary>
/// Contextual word embeddings: token vectors (last layer, or the BERT paper's sum of the last four layers) aggregated
/// over each word's WordPiece tokens using the tokenizer's word ids. The same word in two sentences can then be
/// compared with <see cref="VectorMath.CosineSimilarity"/>.
/// </summary>
public static class ContextualWordVectors
{
    /// <param name="maxThreads">thread budget; ≤ 0 = all cores, 1 = the calling thread only</param>
    /// <param name="cancellationToken">checked before each encoder layer (<see cref="OperationCanceledException"/>)</param>
    public static IReadOnlyList<WordVector> Compute(BertModel model, string text,
        WordPieceAggregation aggregation = WordPieceAggregation.Mean, bool sumLastFourLayers = false, int maxThreads = 0,
        CancellationToken cancellationToken = default)
    {
        ModelOutput output = model.Run([text], null,
            new RunOptions { OutputHiddenStates = sumLastFourLayers, MaxThreads = maxThreads, CancellationToken = cancellationToken });
        float[] tokens = sumLastFourLayers ? LayerFeatures.SumLastFour(output) : output.LastHiddenState;
        Encoding encoding = output.Batch.Encodings![0];
        return Aggregate(tokens, output.HiddenSize, encoding, text, aggregation);
    }

    /// <summary>tokens: [seq, width] of one row; words in order of first appearance.</summary>
    public static IReadOnlyList<WordVector> Aggregate(ReadOnlySpan<float> tokens, int width, Encoding encoding, string text,
        WordPieceAggregation aggregation)
    {
        var words = new List<WordVector>();
        var counts = new List<int>();
        var index = new Dictionary<int, int>();
        for (int t = 0; t < encoding.Ids.Length; t++)
        {
            if (encoding.WordIds[t] is not int word) continue;
            ReadOnlySpan<float> v = tokens.Slice(t * width, width);
            var (start, end) = encoding.Offsets[t];
            if (!index.TryGetValue(word, out int w))
            {
                w = words.Count; index[word] = w;
                words.Add(new WordVector(word, "", start, end, v.ToArray()));
                counts.Add(1);
                continue;
            }
            WordVector existing = words[w];
            words[w] = existing with { Start = Math.Min(existing.Start, start), End = Math.Max(existing.End, end) };
            if (aggregation == WordPieceAggregation.Mean)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(existing.Vector, v, existing.Vector);
                counts[w]++;
            }
        }
        for (int w = 0; w < words.Count; w++)
        {
            if (counts[w] > 1) System.Numerics.Tensors.TensorPrimitives.Multiply(words[w].Vector, 1f / counts[w], words[w].Vector);
            words[w] = words[w] with { Text = text[words[w].Start..words[w].End] };
        }
        return words;
    }
}
