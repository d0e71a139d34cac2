using BertSharp.Weights;

namespace BertSharp.Cli;

/// <summary>
/// Streams rows into a safetensors file holding one F32 tensor "embeddings" [count, dimension]:
/// u64 little-endian header length, the JSON header (space padded, as the reference writer pads), then the data.
/// Like <see cref="NpyWriter"/>, the header has a fixed width (<see cref="HeaderJsonBytes"/>) and is rewritten in place
/// with the final shape and data_offsets by <see cref="Complete"/>; the data starts at byte 8 + HeaderJsonBytes,
/// a multiple of 8. Memory stays flat: no row is kept.
/// </summary>
public sealed class SafeTensorsVectorWriter : FixedHeaderVectorWriter
{
    public const string TensorName = "embeddings";

    /// <summary>Header JSON bytes including padding; 8 + this is a multiple of 8 (and of 64).</summary>
    public const int HeaderJsonBytes = 120;

    /// <param name="stream">seekable, positioned where the file starts</param>
    public SafeTensorsVectorWriter(Stream stream, int dimension) : base(stream, dimension) { }

    protected override byte[] BuildHeader(long rows, long columns) => Header(rows, columns);

    /// <summary>Length prefix + padded JSON header for an F32 [rows, columns] tensor named "embeddings".</summary>
    public static byte[] Header(long rows, long columns)
    {
        long bytes = checked(rows * columns * sizeof(float));
        byte[] json = SafeTensorsWriter.HeaderJson([new SafeTensorsWriter.TensorLayout(TensorName, SafeTensorDType.F32, [rows, columns], bytes)]);
        return SafeTensorsWriter.Prefix(json, HeaderJsonBytes);
    }
}
