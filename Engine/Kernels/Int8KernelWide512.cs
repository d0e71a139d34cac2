using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// The x64 AVX-512BW micro-kernel for wide activations (int16 x × int8 w): acc[r, c] = Σ_p x[r, p] · w[c, p] in int32
/// for up to 8 rows and one 16-column panel. As <see cref="Int8KernelWide256"/>, one zmm per half panel: 32 bytes
/// (8 columns × 4 k) sign-extended to 32 int16 lanes, VPMADDWD with the row's 4 int16 values broadcast → 16 int32
/// lanes, lane 2c + h = the pair sum of column c, k pair h. JIT only (NativeAOT x86-64-v3 has no AVX-512).
/// </summary>
/// <remarks>Exact for the same reason as <see cref="Int8KernelWide256"/>. Registers: 16 accumulators, 2 weights, 1 broadcast.</remarks>
internal static unsafe class Int8KernelWide512
{
    public const int MaxRows = 8;

    /// <summary>x: rows × ldx int16; panel: groups × 64 bytes; acc: [rows, 16] int32, overwritten.</summary>
    public static void Tile(int rows, short* x, nint ldx, sbyte* panel, int groups, int* acc)
    {
        switch (rows)
        {
            case 1: Tile<Rows1>(x, ldx, panel, groups, acc); break;
            case 2: Tile<Rows2>(x, ldx, panel, groups, acc); break;
            case 3: Tile<Rows3>(x, ldx, panel, groups, acc); break;
            case 4: Tile<Rows4>(x, ldx, panel, groups, acc); break;
            case 5: Tile<Rows5>(x, ldx, panel, groups, acc); break;
            case 6: Tile<Rows6>(x, ldx, panel, groups, acc); break;
            case 7: Tile<Rows7>(x, ldx, panel, groups, acc); break;
            case 8: Tile<Rows8>(x, ldx, panel, groups, acc); break;
            default: throw new ArgumentOutOfRangeException(nameof(rows), rows, "tile rows must be 1..8");
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Step(Vector512<int> acc, short* x4, Vector512<short> w) =>
        Avx512BW.Add(acc, Avx512BW.MultiplyAddAdjacent(Vector512.Create(Unsafe.ReadUnaligned<long>(x4)).AsInt16(), w));

    /// <summary>Pair sums of columns 0..7 (a) → the 8 column sums in order (as <see cref="Int8KernelWide256"/>'s fold).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Fold(Vector512<int> a) =>
        Avx2.Permute4x64(Avx2.HorizontalAdd(a.GetLower(), a.GetUpper()).AsInt64(), 0b11_01_10_00).AsInt32();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(int* row, Vector512<int> a, Vector512<int> b)
    {
        Avx.Store(row, Fold(a));
        Avx.Store(row + 8, Fold(b));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TRows>(short* x, nint ldx, sbyte* panel, int groups, int* acc) where TRows : struct, IGemmRows
    {
        Vector512<int> a0 = default, b0 = default, a1 = default, b1 = default, a2 = default, b2 = default, a3 = default, b3 = default;
        Vector512<int> a4 = default, b4 = default, a5 = default, b5 = default, a6 = default, b6 = default, a7 = default, b7 = default;
        for (int g = 0; g < groups; g++)
        {
            sbyte* wg = panel + (nint)g * QuantizedWeight.GroupBytes;
            Vector512<short> wa = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256(wg));
            Vector512<short> wb = Avx512BW.ConvertToVector512Int16(Avx.LoadVector256(wg + 32));
            short* xg = x + 4 * (nint)g;
            a0 = Step(a0, xg, wa); b0 = Step(b0, xg, wb);
            if (TRows.Count > 1) { a1 = Step(a1, xg + ldx, wa); b1 = Step(b1, xg + ldx, wb); }
            if (TRows.Count > 2) { a2 = Step(a2, xg + 2 * ldx, wa); b2 = Step(b2, xg + 2 * ldx, wb); }
            if (TRows.Count > 3) { a3 = Step(a3, xg + 3 * ldx, wa); b3 = Step(b3, xg + 3 * ldx, wb); }
            if (TRows.Count > 4) { a4 = Step(a4, xg + 4 * ldx, wa); b4 = Step(b4, xg + 4 * ldx, wb); }
            if (TRows.Count > 5) { a5 = Step(a5, xg + 5 * ldx, wa); b5 = Step(b5, xg + 5 * ldx, wb); }
            if (TRows.Count > 6) { a6 = Step(a6, xg + 6 * ldx, wa); b6 = Step(b6, xg + 6 * ldx, wb); }
            if (TRows.Count > 7) { a7 = Step(a7, xg + 7 * ldx, wa); b7 = Step(b7, xg + 7 * ldx, wb); }
        }
        Store(acc, a0, b0);
        if (TRows.Count > 1) Store(acc + 16, a1, b1);
        if (TRows.Count > 2) Store(acc + 32, a2, b2);
        if (TRows.Count > 3) Store(acc + 48, a3, b3);
        if (TRows.Count > 4) Store(acc + 64, a4, b4);
        if (TRows.Count > 5) Store(acc + 80, a5, b5);
        if (TRows.Count > 6) Store(acc + 96, a6, b6);
        if (TRows.Count > 7) Store(acc + 112, a7, b7);
    }
}
