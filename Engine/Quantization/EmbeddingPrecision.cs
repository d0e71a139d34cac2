namespace BertSharp.Engine.Quantization;

/// <summary>
/// sentence-transformers' embedding precisions (quantization.py quantize_embeddings, 5.2.0.dev0), with the element
/// type and width each stores per vector of d dimensions.
/// </summary>
public enum EmbeddingPrecision
{
    /// <summary>float32 [d].</summary>
    Float32,
    /// <summary>int8 [d]: trunc((x − min) / ((max − min) / 255) − 128), ranges calibrated per dimension.</summary>
    Int8,
    /// <summary>uint8 [d]: trunc((x − min) / ((max − min) / 255)).</summary>
    UInt8,
    /// <summary>int8 [⌈d/8⌉]: numpy.packbits(x &gt; 0) − 128 (big-endian bit order: dimension 8k is bit 7 of byte k).</summary>
    Binary,
    /// <summary>uint8 [⌈d/8⌉]: numpy.packbits(x &gt; 0).</summary>
    UBinary,
}

/// <summary>Names and sizes of <see cref="EmbeddingPrecision"/>.</summary>
public static class EmbeddingPrecisions
{
    /// <summary>float32 | int8 | uint8 | binary | ubinary (sentence-transformers' names).</summary>
    public static EmbeddingPrecision Parse(string name) => name switch
    {
        "float32" => EmbeddingPrecision.Float32,
        "int8" => EmbeddingPrecision.Int8,
        "uint8" => EmbeddingPrecision.UInt8,
        "binary" => EmbeddingPrecision.Binary,
        "ubinary" => EmbeddingPrecision.UBinary,
        _ => throw new ArgumentException($"precision '{name}' is not one of float32, int8, uint8, binary, ubinary", nameof(name)),
    };

    public static string Name(EmbeddingPrecision p) => p switch
    {
        EmbeddingPrecision.Float32 => "float32",
        EmbeddingPrecision.Int8 => "int8",
        EmbeddingPrecision.UInt8 => "uint8",
        EmbeddingPrecision.Binary => "binary",
        _ => "ubinary",
    };

    /// <summary>Stored elements per vector of <paramref name="dimension"/> dimensions (bytes for all but float32).</summary>
    public static int Width(EmbeddingPrecision p, int dimension) =>
        p is EmbeddingPrecision.Binary or EmbeddingPrecision.UBinary ? (dimension + 7) / 8 : dimension;

    /// <summary>Bytes per stored vector.</summary>
    public static int BytesPerVector(EmbeddingPrecision p, int dimension) =>
        p == EmbeddingPrecision.Float32 ? 4 * dimension : Width(p, dimension);
}
