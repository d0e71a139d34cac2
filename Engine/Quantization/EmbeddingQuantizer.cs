using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace BertSharp.Engine.Quantization;

/// <summary>
/// sentence-transformers' quantize_embeddings (quantization.py, read at UKPLab/sentence-transformers 5.2.0.dev0,
/// commit 85ec645) one vector at a time, bit-exact with its float32 NumPy arithmetic:
/// <code>
/// starts = ranges[0]; steps = (ranges[1] - ranges[0]) / 255          # float32
/// uint8:   ((e - starts) / steps).astype(np.uint8)
/// int8:    ((e - starts) / steps - 128).astype(np.int8)               # astype truncates toward zero
/// binary:  (np.packbits(e > 0).reshape(n, -1) - 128).astype(np.int8)
/// ubinary: np.packbits(e > 0).reshape(n, -1)                          # bit order "big": first dimension = bit 7
/// </code>
/// Where NumPy is silent, BertSharp decides: a value outside the calibrated range (NumPy's out-of-range float→int cast
/// is undefined in C and wraps on x86) is clipped to the type's range; NaN (0/0 in a dimension whose calibration
/// range is a single value, or a NaN input) becomes the range's low end (−128 / 0). sentence-transformers packs the
/// flattened matrix, so with d not a multiple of 8 its rows run into each other (or reshape fails); BertSharp packs
/// each vector on its own, zero-padding its last byte — equal whenever d % 8 == 0 or there is one vector.
/// </summary>
public static class EmbeddingQuantizer
{
    /// <summary>int8 [d] of one float vector [d].</summary>
    public static void QuantizeInt8(ReadOnlySpan<float> embedding, QuantizationRanges ranges, Span<sbyte> destination)
    {
        Check(embedding, ranges, destination.Length);
        for (int i = 0; i < embedding.Length; i++)
        {
            float step = (ranges.Max[i] - ranges.Min[i]) / 255f;
            float v = (embedding[i] - ranges.Min[i]) / step - 128f;
            destination[i] = float.IsNaN(v) ? sbyte.MinValue : (sbyte)Math.Clamp(MathF.Truncate(v), -128f, 127f);
        }
    }

    /// <summary>uint8 [d] of one float vector [d].</summary>
    public static void QuantizeUInt8(ReadOnlySpan<float> embedding, QuantizationRanges ranges, Span<byte> destination)
    {
        Check(embedding, ranges, destination.Length);
        for (int i = 0; i < embedding.Length; i++)
        {
            float step = (ranges.Max[i] - ranges.Min[i]) / 255f;
            float v = (embedding[i] - ranges.Min[i]) / step;
            destination[i] = float.IsNaN(v) ? (byte)0 : (byte)Math.Clamp(MathF.Truncate(v), 0f, 255f);
        }
    }

    /// <summary>ubinary: numpy.packbits(embedding &gt; 0) into ⌈d/8⌉ bytes, dimension 8k+j at bit 7−j of byte k.</summary>
    public static void PackBits(ReadOnlySpan<float> embedding, Span<byte> destination)
    {
        int bytes = (embedding.Length + 7) / 8;
        if (destination.Length != bytes) throw new ArgumentException($"destination has {destination.Length} bytes, {embedding.Length} dimensions pack into {bytes}", nameof(destination));
        destination.Clear();
        for (int i = 0; i < embedding.Length; i++)
            if (embedding[i] > 0) destination[i >> 3] |= (byte)(0x80 >> (i & 7));
    }

    /// <summary>binary: packbits − 128 as int8 (= the packed byte with its top bit flipped, read as signed).</summary>
    public static void QuantizeBinary(ReadOnlySpan<float> embedding, Span<sbyte> destination)
    {
        Span<byte> bytes = MemoryMarshal.AsBytes(destination);
        PackBits(embedding, bytes);
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)(bytes[i] - 128);
    }

    /// <summary>
    /// One vector in <paramref name="precision"/>, as raw little-endian bytes of its element type
    /// (<see cref="EmbeddingPrecisions.BytesPerVector"/> of them). int8/uint8 need <paramref name="ranges"/>.
    /// </summary>
    public static void Quantize(ReadOnlySpan<float> embedding, EmbeddingPrecision precision, QuantizationRanges? ranges, Span<byte> destination)
    {
        int bytes = EmbeddingPrecisions.BytesPerVector(precision, embedding.Length);
        if (destination.Length != bytes) throw new ArgumentException($"destination has {destination.Length} bytes, {EmbeddingPrecisions.Name(precision)} [{embedding.Length}] needs {bytes}", nameof(destination));
        switch (precision)
        {
            case EmbeddingPrecision.Float32: embedding.CopyTo(MemoryMarshal.Cast<byte, float>(destination)); break;
            case EmbeddingPrecision.Int8: QuantizeInt8(embedding, RequireRanges(ranges, precision), MemoryMarshal.Cast<byte, sbyte>(destination)); break;
            case EmbeddingPrecision.UInt8: QuantizeUInt8(embedding, RequireRanges(ranges, precision), destination); break;
            case EmbeddingPrecision.Binary: QuantizeBinary(embedding, MemoryMarshal.Cast<byte, sbyte>(destination)); break;
            default: PackBits(embedding, destination); break;
        }
    }

    /// <summary>
    /// Quantizes every vector: one array per vector of <see cref="EmbeddingPrecisions.BytesPerVector"/> bytes.
    /// int8/uint8 with <paramref name="ranges"/> null calibrate on <paramref name="calibration"/>, else on the
    /// embeddings themselves (sentence-transformers' fallback, which it warns about below 100 embeddings).
    /// </summary>
    public static byte[][] Quantize(IReadOnlyList<float[]> embeddings, EmbeddingPrecision precision,
        QuantizationRanges? ranges = null, IReadOnlyList<float[]>? calibration = null)
    {
        if (precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.UInt8 && ranges is null && embeddings.Count > 0)
            ranges = QuantizationRanges.Calibrate(calibration ?? embeddings);
        var result = new byte[embeddings.Count][];
        for (int r = 0; r < embeddings.Count; r++)
        {
            result[r] = new byte[EmbeddingPrecisions.BytesPerVector(precision, embeddings[r].Length)];
            Quantize(embeddings[r], precision, ranges, result[r]);
        }
        return result;
    }

    /// <summary>The sign bits back as 0/1 floats [d] (numpy.unpackbits, the first d bits) of a ubinary vector.</summary>
    public static void UnpackBits(ReadOnlySpan<byte> packed, Span<float> destination)
    {
        if (packed.Length != (destination.Length + 7) / 8) throw new ArgumentException($"{packed.Length} bytes do not hold {destination.Length} bits", nameof(packed));
        for (int i = 0; i < destination.Length; i++) destination[i] = (packed[i >> 3] >> (7 - (i & 7))) & 1;
    }

    /// <summary>Number of differing bits of two packed vectors (the Hamming distance; binary and ubinary alike, the −128 cancels).</summary>
    public static int Hamming(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"packed vectors have {a.Length} and {b.Length} bytes", nameof(b));
        int count = 0, i = 0;
        ReadOnlySpan<ulong> wa = MemoryMarshal.Cast<byte, ulong>(a), wb = MemoryMarshal.Cast<byte, ulong>(b);
        for (int w = 0; w < wa.Length; w++) count += BitOperations.PopCount(wa[w] ^ wb[w]);
        for (i = wa.Length * 8; i < a.Length; i++) count += BitOperations.PopCount((uint)(a[i] ^ b[i]));
        return count;
    }

    /// <summary>Σ a_i·b_i of two int8 vectors, exact in int32 (the int8 inner product usearch scores with).</summary>
    public static int DotInt8(ReadOnlySpan<sbyte> a, ReadOnlySpan<sbyte> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"vectors have {a.Length} and {b.Length} values", nameof(b));
        int sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    /// <summary>
    /// sentence-transformers' rescore step: float query · the stored quantized vector read as integers
    /// (np.einsum over top_k_embeddings.astype(int)): int8 values for int8, unpacked 0/1 bits for binary/ubinary.
    /// (For precision "binary", semantic_search_usearch unpacks the int8 bytes cast to uint8, i.e. with every top bit
    /// flipped; BertSharp unpacks the true sign bits.)
    /// </summary>
    public static float RescoreDot(ReadOnlySpan<float> query, ReadOnlySpan<byte> stored, EmbeddingPrecision precision)
    {
        float sum = 0;
        switch (precision)
        {
            case EmbeddingPrecision.Int8:
                ReadOnlySpan<sbyte> s = MemoryMarshal.Cast<byte, sbyte>(stored);
                for (int i = 0; i < query.Length; i++) sum += query[i] * s[i];
                return sum;
            case EmbeddingPrecision.UInt8:
                for (int i = 0; i < query.Length; i++) sum += query[i] * stored[i];
                return sum;
            case EmbeddingPrecision.Binary:
            case EmbeddingPrecision.UBinary:
                byte flip = precision == EmbeddingPrecision.Binary ? (byte)0x80 : (byte)0;
                for (int i = 0; i < query.Length; i++)
                    if ((((stored[i >> 3] ^ flip) >> (7 - (i & 7))) & 1) != 0) sum += query[i];
                return sum;
            default:
                return TensorPrimitives.Dot(query, MemoryMarshal.Cast<byte, float>(stored));
        }
    }

    private static QuantizationRanges RequireRanges(QuantizationRanges? ranges, EmbeddingPrecision precision) =>
        ranges ?? throw new ArgumentException($"{EmbeddingPrecisions.Name(precision)} quantization needs calibration ranges", nameof(ranges));

    private static void Check(ReadOnlySpan<float> embedding, QuantizationRanges ranges, int destination)
    {
        if (embedding.Length != ranges.Dimension) throw new ArgumentException($"embedding has {embedding.Length} dimensions, the ranges {ranges.Dimension}", nameof(embedding));
        if (destination != embedding.Length) throw new ArgumentException($"destination has {destination} elements, expected {embedding.Length}", nameof(destination));
    }
}
