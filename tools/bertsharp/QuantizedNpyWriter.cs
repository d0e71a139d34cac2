using BertSharp.Engine.Quantization;

namespace BertSharp.Cli;

/// <summary>
/// Streams float rows [count, dimension] into a .npy file of quantized rows (<see cref="EmbeddingQuantizer"/>):
/// int8 and binary as '|i1', uint8 and ubinary as '|u1', shape (count, <see cref="EmbeddingPrecisions.Width"/>),
/// the same bytes sentence-transformers' quantize_embeddings gives and np.save writes. Fixed-width header patched
/// with the row count by <see cref="Complete"/>, as <see cref="NpyWriter"/>.
/// </summary>
public sealed class QuantizedNpyWriter : IVectorWriter
{
    private readonly Stream _stream;
    private readonly long _start;
    private readonly byte[] _row;
    private bool _completed;

    public int Dimension { get; }
    public long Count { get; private set; }
    public EmbeddingPrecision Precision { get; }
    public QuantizationRanges? Ranges { get; }

    /// <param name="stream">seekable, positioned where the file starts</param>
    /// <param name="ranges">required for int8 / uint8</param>
    public QuantizedNpyWriter(Stream stream, int dimension, EmbeddingPrecision precision, QuantizationRanges? ranges)
    {
        if (!stream.CanSeek) throw new ArgumentException("QuantizedNpyWriter needs a seekable stream (the shape is patched at the end)", nameof(stream));
        if (precision == EmbeddingPrecision.Float32) throw new ArgumentException("float32 rows go through NpyWriter", nameof(precision));
        if (precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.UInt8 && (ranges is null || ranges.Dimension != dimension))
            throw new ArgumentException($"{EmbeddingPrecisions.Name(precision)} needs calibration ranges of {dimension} dimensions", nameof(ranges));
        _stream = stream; _start = stream.Position;
        Dimension = dimension; Precision = precision; Ranges = ranges;
        _row = new byte[EmbeddingPrecisions.Width(precision, dimension)];
        _stream.Write(Header(0));
    }

    /// <summary>numpy dtype of a precision's stored elements.</summary>
    public static string Descr(EmbeddingPrecision precision) =>
        precision is EmbeddingPrecision.Int8 or EmbeddingPrecision.Binary ? "|i1" : "|u1";

    private byte[] Header(long rows) => NpyWriter.Header(rows, _row.Length, Descr(Precision));

    public void Write(ReadOnlySpan<float> row)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (row.Length != Dimension) throw new ArgumentException($"row {Count} has {row.Length} values, expected {Dimension}", nameof(row));
        EmbeddingQuantizer.Quantize(row, Precision, Ranges, _row);
        _stream.Write(_row);
        Count++;
    }

    public void Complete()
    {
        if (_completed) return;
        long end = _stream.Position;
        _stream.Position = _start;
        _stream.Write(Header(Count));
        _stream.Position = end;
        _stream.Flush();
        _completed = true;
    }

    public void Dispose() { }
}
