using System.Runtime.InteropServices;

namespace BertSharp.Engine.Quantization;

/// <summary>
/// Exact top-k search of one float query over quantized vectors fed one at a time (a flat scan with one candidate
/// list; memory O(k·multiplier) whatever the index size), scored as sentence-transformers' semantic_search_usearch
/// (quantization.py, 5.2.0.dev0) does: the query is quantized like the corpus (same ranges), then
/// int8: inner product of the int8 vectors; uint8: inner product; binary/ubinary: Hamming distance (score = −distance);
/// float32: cosine. With rescoring, the top k·<see cref="RescoreMultiplier"/> candidates are re-scored by the float
/// query · the stored vector read as integers (0/1 bits for binary) and the best k kept — its rescore recipe.
/// Equal scores: lower row first.
/// </summary>
public sealed class QuantizedTopK
{
    private readonly float[] _query;
    private readonly byte[] _quantizedQuery;
    private readonly int _k, _candidates;
    private readonly List<(long Row, float Score, byte[]? Stored)> _best;

    public EmbeddingPrecision Precision { get; }
    /// <summary>Candidates kept per result for rescoring; 0 = no rescoring.</summary>
    public int RescoreMultiplier { get; }

    /// <param name="query">the float query [d]</param>
    /// <param name="ranges">the corpus's int8/uint8 ranges (required for those precisions)</param>
    /// <param name="rescoreMultiplier">0 = no rescoring; else candidates = k × this (sentence-transformers default 2)</param>
    public QuantizedTopK(float[] query, EmbeddingPrecision precision, QuantizationRanges? ranges, int k, int rescoreMultiplier = 0)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "top-k needs k ≥ 1");
        if (rescoreMultiplier < 0) throw new ArgumentOutOfRangeException(nameof(rescoreMultiplier), rescoreMultiplier, "must be ≥ 0");
        _query = query; Precision = precision; _k = k; RescoreMultiplier = precision == EmbeddingPrecision.Float32 ? 0 : rescoreMultiplier;
        _candidates = RescoreMultiplier > 0 ? checked(k * RescoreMultiplier) : k;
        _quantizedQuery = new byte[EmbeddingPrecisions.BytesPerVector(precision, query.Length)];
        EmbeddingQuantizer.Quantize(query, precision, ranges, _quantizedQuery);
        _best = new List<(long, float, byte[]?)>(_candidates + 1);
    }

    /// <summary>Bytes of one stored vector.</summary>
    public int StoredBytes => _quantizedQuery.Length;

    /// <summary>Offers stored vector <paramref name="row"/> (<see cref="StoredBytes"/> bytes in the index's precision).</summary>
    public void Add(long row, ReadOnlySpan<byte> stored)
    {
        float s = Score(stored);
        if (_best.Count == _candidates && !(s > _best[^1].Score)) return;
        int at = _best.Count;
        while (at > 0 && _best[at - 1].Score < s) at--;
        _best.Insert(at, (row, s, RescoreMultiplier > 0 ? stored.ToArray() : null));
        if (_best.Count > _candidates) _best.RemoveAt(_candidates);
    }

    /// <summary>The first-stage score of a stored vector against the quantized query (larger = nearer).</summary>
    public float Score(ReadOnlySpan<byte> stored)
    {
        if (stored.Length != _quantizedQuery.Length) throw new ArgumentException($"stored vector has {stored.Length} bytes, expected {_quantizedQuery.Length}", nameof(stored));
        switch (Precision)
        {
            case EmbeddingPrecision.Int8:
                return EmbeddingQuantizer.DotInt8(MemoryMarshal.Cast<byte, sbyte>(_quantizedQuery), MemoryMarshal.Cast<byte, sbyte>(stored));
            case EmbeddingPrecision.UInt8:
                int sum = 0;
                for (int i = 0; i < stored.Length; i++) sum += _quantizedQuery[i] * stored[i];
                return sum;
            case EmbeddingPrecision.Binary:
            case EmbeddingPrecision.UBinary:
                return -EmbeddingQuantizer.Hamming(_quantizedQuery, stored);
            default:
                return VectorMath.CosineSimilarity(_query, MemoryMarshal.Cast<byte, float>(stored));
        }
    }

    /// <summary>The best k (row, score), best first; after rescoring the score is the rescored one.</summary>
    public IReadOnlyList<(long Row, float Score)> Results()
    {
        var list = new List<(long Row, float Score)>(_best.Count);
        if (RescoreMultiplier == 0)
        {
            foreach (var (row, score, _) in _best) list.Add((row, score));
            return list;
        }
        foreach (var (row, _, stored) in _best) list.Add((row, EmbeddingQuantizer.RescoreDot(_query, stored, Precision)));
        list.Sort((a, b) => b.Score.CompareTo(a.Score) is int c && c != 0 ? c : a.Row.CompareTo(b.Row));
        if (list.Count > _k) list.RemoveRange(_k, list.Count - _k);
        return list;
    }
}
