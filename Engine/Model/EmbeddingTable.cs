using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using BertSharp.Weights;

namespace BertSharp.Engine.Model;

/// <summary>
/// A lookup table [rows, width] (the word embeddings) stored as <see cref="EmbeddingTablePrecision"/> says: fp32, f16, int8
/// per row (one fp32 scale a row), or left in the checkpoint file and read a row at a time. <see cref="CopyRow"/> gives a
/// row as fp32. A compact table is built from the checkpoint <see cref="ChunkRows"/> rows at a time, so loading never
/// holds a full fp32 copy next to it.
/// </summary>
public sealed class EmbeddingTable
{
    /// <summary>Rows read from the checkpoint at a time while a compact table is built.</summary>
    internal const int ChunkRows = 1024;

    private readonly float[]? _float32;   // [rows, width]
    private readonly Half[]? _float16;    // [rows, width]
    private readonly sbyte[]? _int8;      // [rows, width]
    private readonly float[]? _scales;    // [rows]: x ≈ q · scale
    private readonly TensorRowReader? _file;

    public int Rows { get; }
    public int Width { get; }
    public EmbeddingTablePrecision Precision { get; }

    /// <summary>The fp32 values [rows, width]; a compact table has none.</summary>
    public float[] Float32 => _float32 ??
        throw new InvalidOperationException($"this [{Rows},{Width}] embedding table is stored {Precision}, not fp32 (load with LoadOptions.WordEmbeddingPrecision = Float32 to keep fp32; CopyRow gives a row)");

    /// <summary>Bytes the table holds (values and scales).</summary>
    public long ByteSize => Precision switch
    {
        EmbeddingTablePrecision.Float32 => (long)Rows * Width * 4,
        EmbeddingTablePrecision.Float16 => (long)Rows * Width * 2,
        EmbeddingTablePrecision.File => 0,
        _ => (long)Rows * Width + Rows * 4L,
    };

    private EmbeddingTable(int rows, int width, EmbeddingTablePrecision precision, float[]? float32, Half[]? float16, sbyte[]? int8,
        float[]? scales, TensorRowReader? file = null)
    {
        Rows = rows; Width = width; Precision = precision;
        _float32 = float32; _float16 = float16; _int8 = int8; _scales = scales; _file = file;
    }

    /// <summary>An fp32 table over <paramref name="values"/> [rows, width] (kept, not copied).</summary>
    public static EmbeddingTable FromFloat32(float[] values, int rows, int width)
    {
        Check(values.Length, rows, width);
        return new(rows, width, EmbeddingTablePrecision.Float32, values, null, null, null);
    }

    /// <summary>A table of <paramref name="precision"/> converted from fp32 values [rows, width] (copied).</summary>
    public static EmbeddingTable Create(ReadOnlySpan<float> values, int rows, int width, EmbeddingTablePrecision precision)
    {
        Check(values.Length, rows, width);
        if (precision == EmbeddingTablePrecision.Float32) return FromFloat32(values.ToArray(), rows, width);
        if (precision == EmbeddingTablePrecision.File) throw new ArgumentException("a table read from the file comes from a checkpoint (BertModel.Load), not from values", nameof(precision));
        EmbeddingTable table = Allocate(rows, width, precision);
        table.Convert(0, values);
        return table;
    }

    /// <summary>Reads tensor <paramref name="name"/> [rows, width] from the checkpoint into a table of <paramref name="precision"/>.</summary>
    internal static EmbeddingTable Load(Checkpoint checkpoint, string name, int rows, int width, EmbeddingTablePrecision precision)
    {
        if (precision == EmbeddingTablePrecision.Float32)
            return FromFloat32(checkpoint.ReadFloat32(name, rows, width), rows, width);
        if (precision == EmbeddingTablePrecision.File)
        {
            Check(checked(rows * width), rows, width);
            return new(rows, width, precision, null, null, null, null, checkpoint.OpenRows(name, rows, width));
        }
        checkpoint.CheckShape(name, rows, width);
        EmbeddingTable table = Allocate(rows, width, precision);
        using LoadBuffer chunk = checkpoint.RentBuffer(checked(Math.Min(rows, ChunkRows) * width));
        for (int first = 0; first < rows; first += ChunkRows)
        {
            Span<float> values = chunk.Span[..(Math.Min(ChunkRows, rows - first) * width)];
            checkpoint.ReadFloat32Rows(name, first, values, rows, width);
            table.Convert(first, values);
        }
        return table;
    }

    private static EmbeddingTable Allocate(int rows, int width, EmbeddingTablePrecision precision)
    {
        Check(checked(rows * width), rows, width);
        return precision switch
        {
            EmbeddingTablePrecision.Float16 => new(rows, width, precision, null, new Half[rows * width], null, null),
            EmbeddingTablePrecision.Int8 => new(rows, width, precision, null, null, new sbyte[rows * width], new float[rows]),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, "not a compact embedding precision"),
        };
    }

    private static void Check(int length, int rows, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        if ((long)rows * width != length) throw new ArgumentException($"{length} values do not make a [{rows},{width}] table");
    }

    /// <summary>Stores fp32 rows [first, first + values.Length / width) in the compact form.</summary>
    private void Convert(int first, ReadOnlySpan<float> values)
    {
        int w = Width;
        if (_float16 is not null)
        {
            TensorPrimitives.ConvertToHalf(values, _float16.AsSpan(first * w, values.Length));
            return;
        }
        for (int r = 0; r < values.Length / w; r++)
            _scales![first + r] = QuantizeRow(values.Slice(r * w, w), _int8.AsSpan((first + r) * w, w));
    }

    /// <summary>Symmetric int8: q = round(x · 127 / max|x|) (ties to even); returns the scale max|x| / 127 (0 for a zero row).</summary>
    internal static float QuantizeRow(ReadOnlySpan<float> row, Span<sbyte> quantized)
    {
        float max = TensorPrimitives.MaxMagnitude(row);
        max = MathF.Abs(max);
        if (max == 0f)
        {
            quantized.Clear();
            return 0f;
        }
        float inverse = 127f / max;
        for (int i = 0; i < row.Length; i++)
            quantized[i] = (sbyte)Math.Clamp(MathF.Round(row[i] * inverse), -127f, 127f);
        return max / 127f;
    }

    /// <summary>destination[0..width) = row <paramref name="row"/> as fp32 (q · scale for int8, exact upcast for f16).</summary>
    public void CopyRow(int row, Span<float> destination)
    {
        if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"the table has {Rows} rows");
        if (destination.Length < Width) throw new ArgumentException($"destination has {destination.Length} floats, a row {Width}", nameof(destination));
        int w = Width;
        destination = destination[..w];
        switch (Precision)
        {
            case EmbeddingTablePrecision.Float32: _float32.AsSpan(row * w, w).CopyTo(destination); break;
            case EmbeddingTablePrecision.Float16: TensorPrimitives.ConvertToSingle(_float16.AsSpan(row * w, w), destination); break;
            case EmbeddingTablePrecision.File: _file!.ReadRow(row, destination); break;
            default: DequantizeRow(_int8.AsSpan(row * w, w), _scales![row], destination); break;
        }
    }

    /// <summary>
    /// For a table read from the file (<see cref="EmbeddingTablePrecision.File"/>): throws a
    /// <see cref="CheckpointException"/> when the file changed since the load (<see cref="TensorRowReader.EnsureUnchanged"/>);
    /// nothing for the others. Checked once per batch, before its rows are read.
    /// </summary>
    public void EnsureSourceUnchanged() => _file?.EnsureUnchanged();

    /// <summary>
    /// Row <paramref name="row"/> as fp32: a view of the table when it is fp32 (no copy), else dequantized into
    /// <paramref name="scratch"/> (width floats), which is returned.
    /// </summary>
    public ReadOnlySpan<float> Row(int row, Span<float> scratch)
    {
        if (_float32 is not null)
        {
            if ((uint)row >= (uint)Rows) throw new ArgumentOutOfRangeException(nameof(row), row, $"the table has {Rows} rows");
            return _float32.AsSpan(row * Width, Width);
        }
        CopyRow(row, scratch);
        return scratch[..Width];
    }

    /// <summary>destination[i] = q[i] · scale: the vector path where the hardware has one, the reference for the rest.</summary>
    internal static void DequantizeRow(ReadOnlySpan<sbyte> q, float scale, Span<float> destination)
    {
        int done = Vector256.IsHardwareAccelerated ? DequantizeVector256(q, scale, destination) : 0;
        DequantizeReference(q[done..], scale, destination[done..]);
    }

    /// <summary>The definition: each value converted to float (exact) and multiplied by the scale.</summary>
    internal static void DequantizeReference(ReadOnlySpan<sbyte> q, float scale, Span<float> destination)
    {
        for (int i = 0; i < q.Length; i++) destination[i] = q[i] * scale;
    }

    /// <summary>16 values at a time (sbyte → short → int → float, then one multiply: the same as the reference); returns how many.</summary>
    internal static int DequantizeVector256(ReadOnlySpan<sbyte> q, float scale, Span<float> destination)
    {
        if (destination.Length < q.Length) throw new ArgumentException($"destination has {destination.Length} floats, needs {q.Length}", nameof(destination));
        ref sbyte source = ref MemoryMarshal.GetReference(q);
        ref float target = ref MemoryMarshal.GetReference(destination);
        Vector256<float> s = Vector256.Create(scale);
        int i = 0;
        for (; i + 16 <= q.Length; i += 16)
        {
            (Vector128<short> lo, Vector128<short> hi) = Vector128.Widen(Vector128.LoadUnsafe(ref source, (nuint)i));
            (Vector256<int> a, Vector256<int> b) = Vector256.Widen(Vector256.Create(lo, hi));
            (Vector256.ConvertToSingle(a) * s).StoreUnsafe(ref target, (nuint)i);
            (Vector256.ConvertToSingle(b) * s).StoreUnsafe(ref target, (nuint)i + 8);
        }
        return i;
    }
}
