using System.Numerics.Tensors;

namespace BertSharp.Engine.SentenceTransformers;

/// <summary>
/// sentence-transformers' SimilarityFunction (similarity_functions.py, util/similarity.py at 5.2.0.dev0): the score
/// a model was trained with. Larger is more similar for all four: the distances are negated, as
/// sentence-transformers' euclidean_sim / manhattan_sim return them.
/// </summary>
public enum SimilarityFunction
{
    /// <summary>"cosine": a·b / (max(|a|, 1e-12)·max(|b|, 1e-12)) (cos_sim normalises each side first).</summary>
    Cosine,
    /// <summary>"dot" (alias "dot_product"): a·b.</summary>
    Dot,
    /// <summary>"euclidean": −‖a − b‖₂.</summary>
    Euclidean,
    /// <summary>"manhattan": −‖a − b‖₁.</summary>
    Manhattan,
}

/// <summary>Parsing and scoring for <see cref="SimilarityFunction"/>.</summary>
public static class Similarity
{
    /// <summary>cosine | dot | dot_product | euclidean | manhattan; anything else is an error naming <paramref name="source"/>.</summary>
    public static SimilarityFunction Parse(string name, string source = "similarity function") => name switch
    {
        "cosine" => SimilarityFunction.Cosine,
        "dot" or "dot_product" => SimilarityFunction.Dot,
        "euclidean" => SimilarityFunction.Euclidean,
        "manhattan" => SimilarityFunction.Manhattan,
        _ => throw new BertSharp.Weights.ConfigException(
            $"{source}: similarity_fn_name '{name}' is not one of cosine, dot, euclidean, manhattan"),
    };

    /// <summary>The sentence-transformers name ("cosine", "dot", "euclidean", "manhattan").</summary>
    public static string Name(SimilarityFunction function) => function switch
    {
        SimilarityFunction.Cosine => "cosine",
        SimilarityFunction.Dot => "dot",
        SimilarityFunction.Euclidean => "euclidean",
        _ => "manhattan",
    };

    /// <summary>The score of two vectors of equal length.</summary>
    public static float Score(SimilarityFunction function, ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors have different lengths {a.Length} and {b.Length}", nameof(b));
        switch (function)
        {
            case SimilarityFunction.Cosine:
                return TensorPrimitives.Dot(a, b) / (MathF.Max(TensorPrimitives.Norm(a), 1e-12f) * MathF.Max(TensorPrimitives.Norm(b), 1e-12f));
            case SimilarityFunction.Dot:
                return TensorPrimitives.Dot(a, b);
            case SimilarityFunction.Euclidean:
                return -TensorPrimitives.Distance(a, b);
            default:
                float sum = 0;
                for (int i = 0; i < a.Length; i++) sum += MathF.Abs(a[i] - b[i]);
                return -sum;
        }
    }
}
