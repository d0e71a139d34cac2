using System.Collections;
using BertSharp.Engine;
using Microsoft.Extensions.AI;

namespace BertSharp.Extensions.AI;

/// <summary>
/// A Microsoft.Extensions.AI <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of <see cref="BinaryEmbedding"/>:
/// the sign bits of the <see cref="SentenceEmbedder"/>'s vectors (bit i = dimension i &gt; 0, sentence-transformers'
/// binary quantization before packing). Compare with the Hamming distance; 32× smaller than float32.
/// <see cref="EmbeddingGenerationOptions.Dimensions"/> truncates first (Matryoshka), as <see cref="BertEmbeddingGenerator"/>.
/// Thread-safe; computes synchronously on the calling thread (see <see cref="BertEmbeddingGenerator"/>).
/// </summary>
public sealed class BertBinaryEmbeddingGenerator : IEmbeddingGenerator<string, BinaryEmbedding>
{
    private readonly BertEmbeddingGenerator _floats;

    /// <param name="floats">the float generator whose vectors are binarised</param>
    public BertBinaryEmbeddingGenerator(BertEmbeddingGenerator floats)
    {
        ArgumentNullException.ThrowIfNull(floats);
        _floats = floats;
    }

    public BertBinaryEmbeddingGenerator(SentenceEmbedder embedder, string? modelId = null) : this(new BertEmbeddingGenerator(embedder, modelId)) { }

    public string ModelId => _floats.ModelId;
    public EmbeddingGeneratorMetadata Metadata => _floats.Metadata;

    /// <summary>One BitArray per input (length = the vector's dimensions); usage as the float generator reports it.</summary>
    public async Task<GeneratedEmbeddings<BinaryEmbedding>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        GeneratedEmbeddings<Embedding<float>> floats = await _floats.GenerateAsync(values, options, cancellationToken).ConfigureAwait(false);
        var result = new GeneratedEmbeddings<BinaryEmbedding>(floats.Count) { Usage = floats.Usage };
        foreach (Embedding<float> e in floats)
        {
            ReadOnlySpan<float> v = e.Vector.Span;
            var bits = new BitArray(v.Length);
            for (int i = 0; i < v.Length; i++) bits[i] = v[i] > 0;
            result.Add(new BinaryEmbedding(bits) { ModelId = e.ModelId, CreatedAt = e.CreatedAt });
        }
        return result;
    }

    /// <summary>Hamming distance of two binary embeddings of equal length (number of differing bits).</summary>
    public static int Hamming(BinaryEmbedding a, BinaryEmbedding b)
    {
        if (a.Vector.Length != b.Vector.Length) throw new ArgumentException($"binary embeddings have {a.Vector.Length} and {b.Vector.Length} bits", nameof(b));
        var x = (BitArray)a.Vector.Clone();
        x.Xor(b.Vector);
        int count = 0;
        for (int i = 0; i < x.Length; i++) count += x[i] ? 1 : 0;
        return count;
    }

    /// <summary>As <see cref="BertEmbeddingGenerator.GetService"/>, plus this generator for its own type.</summary>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(this)) return this;
        return _floats.GetService(serviceType, serviceKey) is var s && s is not BertEmbeddingGenerator ? s : null;
    }

    public void Dispose() { }
}
