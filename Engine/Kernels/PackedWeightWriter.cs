namespace BertSharp.Engine.Kernels;

/// <summary>
/// Packs a weight w: [n, k] row-major into a <see cref="PackedWeight"/> a block of rows at a time, in order, so a
/// caller reading w from a file never holds an unpacked [n, k] copy next to the packed one (only its block of rows).
/// </summary>
/// <remarks>
/// Row j of w is output column j: it goes to panel j / 32, sub-panel (j % 32) / 16, lane j % 16, one float per k step
/// (the layout in <see cref="PackedWeight"/>), so each row is placed on its own and blocks need not align with panels.
/// Columns past n (the last panel's padding) are zero. Single use: <see cref="Complete"/> once, after all n rows.
/// </remarks>
public sealed class PackedWeightWriter
{
    private float[]? _storage;
    private readonly int _offset, _panels;

    /// <summary>Output features (rows of w).</summary>
    public int N { get; }
    /// <summary>Input features (columns of w).</summary>
    public int K { get; }
    /// <summary>Rows appended so far: the next <see cref="Append"/> starts at this row.</summary>
    public int RowsWritten { get; private set; }

    public PackedWeightWriter(int n, int k)
    {
        (float[] storage, _offset, _panels, int size) = PackedWeight.Allocate(n, k);
        N = n; K = k;
        int lastPanel = (_panels - 1) * PackedWeight.PanelWidth * k;
        if (n % PackedWeight.PanelWidth != 0) storage.AsSpan(_offset + lastPanel, size - lastPanel).Clear();
        _storage = storage;
    }

    /// <summary>rows: [count, k], the next count rows of w (rows <see cref="RowsWritten"/> .. + count).</summary>
    public void Append(ReadOnlySpan<float> rows)
    {
        float[] storage = _storage ?? throw new InvalidOperationException("the packed weight is already complete");
        int k = K;
        if (rows.Length % k != 0)
            throw new ArgumentException($"rows has {rows.Length} floats, not a whole number of rows of {k}", nameof(rows));
        int count = rows.Length / k;
        if (count > N - RowsWritten)
            throw new ArgumentException($"{count} rows after the {RowsWritten} written exceed the weight's {N} rows", nameof(rows));
        for (int i = 0; i < count; i++)
        {
            int j = RowsWritten + i;
            ReadOnlySpan<float> row = rows.Slice(i * k, k);
            int panel = j / PackedWeight.PanelWidth, sub = j % PackedWeight.PanelWidth / PackedWeight.SubPanelWidth;
            Span<float> subPanel = storage.AsSpan(_offset + (panel * 2 + sub) * PackedWeight.SubPanelWidth * k, PackedWeight.SubPanelWidth * k);
            int lane = j % PackedWeight.SubPanelWidth;
            for (int p = 0; p < k; p++)
                subPanel[p * PackedWeight.SubPanelWidth + lane] = row[p];
        }
        RowsWritten += count;
    }

    /// <summary>The packed weight, once all <see cref="N"/> rows have been appended.</summary>
    public PackedWeight Complete()
    {
        float[] storage = _storage ?? throw new InvalidOperationException("the packed weight is already complete");
        if (RowsWritten != N)
            throw new InvalidOperationException($"only {RowsWritten} of the weight's {N} rows were appended");
        _storage = null;
        return PackedWeight.Create(storage, _offset, N, K, _panels);
    }
}
