using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>The one instruction that differs between the AVX2 and AVX-VNNI int8 kernels: acc += dot4(u8 u, s8 v) per int32 lane.</summary>
internal interface IInt8Dot256
{
    Vector256<int> Accumulate(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> v);
}

/// <summary>
/// AVX2: VPMADDUBSW (u8 × s8, adjacent pairs → int16) then VPMADDWD with ones (adjacent int16 pairs → int32).
/// Exact when no int16 pair sum u0·v0 + u1·v1 leaves [-32768, 32767]; VPMADDWD of int16 values with 1 is exact in
/// int32. The callers guarantee it: the sign kernel (<see cref="Int8KernelAvx{TDot}"/>) has u = |xq| ≤ 127 and
/// |v| = |wq| ≤ 127, so a pair is at most 2 · 127 · 127 = 32258 (-128 never occurs: <see cref="ActivationQuantization"/>
/// clamps to ±127); the biased kernel (<see cref="Int8KernelBiased256{TDot}"/>) has u = xq + 128 ≤ 255 and runs only on
/// reduced-range weights, |wq| ≤ 64, so a pair is at most 2 · 255 · 64 = 32640.
/// </summary>
internal readonly struct Avx2Dot : IInt8Dot256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<int> Accumulate(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> v) =>
        Avx2.Add(acc, Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(u, v), Vector256<short>.One));
}

/// <summary>AVX-VNNI: VPDPBUSD, the 4 u8 × s8 products of each int32 lane summed straight into it (exact, no saturation).</summary>
internal readonly struct AvxVnniDot : IInt8Dot256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<int> Accumulate(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> v) =>
        AvxVnni.MultiplyWideningAndAdd(acc, u, v);
}

/// <summary>
/// The x64 int8 micro-kernel (AVX2 or AVX-VNNI by <typeparamref name="TDot"/>): acc[r, c] = Σ_p x[r, p] · w[c, p] for up to
/// 4 rows and one 16-column panel (two ymm of 8 int32 columns per row).
/// </summary>
/// <remarks>
/// Both instructions multiply unsigned by signed bytes, so the operands are prepared the same way for both (the sign
/// trick): for each 4-byte group, xb = the row's 4 bytes broadcast to every lane, u = |xb| (u8 ≤ 127),
/// v = w with xb's sign applied (VPSIGNB: w·sign(x), 0 where x = 0); u·v = x·w exactly.
/// </remarks>
internal static unsafe class Int8KernelAvx<TDot> where TDot : struct, IInt8Dot256
{
    /// <summary>x: rows × ldx bytes; panel: groups × 64 bytes; acc: [rows, 16] int32, overwritten. rows ≤ 4.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, sbyte* x, nint ldx, sbyte* panel, int groups, int* acc)
    {
        int r = 0;
        if (rows == 4)
        {
            Four(x, ldx, panel, groups, acc);
            return;
        }
        for (; r < rows; r++)
            One(x + r * ldx, panel, groups, acc + r * QuantizedWeight.PanelWidth);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<sbyte> Broadcast(sbyte* x4) => Vector256.Create(Unsafe.ReadUnaligned<int>(x4)).AsSByte();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Step(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> xb, Vector256<sbyte> w) =>
        default(TDot).Accumulate(acc, u, Avx2.Sign(w, xb));

    private static void One(sbyte* x, sbyte* panel, int groups, int* acc)
    {
        Vector256<int> a0 = default, a1 = default;
        for (int g = 0; g < groups; g++)
        {
            sbyte* wg = panel + g * QuantizedWeight.GroupBytes;
            Vector256<sbyte> w0 = Avx.LoadVector256(wg), w1 = Avx.LoadVector256(wg + 32);
            Vector256<sbyte> b = Broadcast(x + 4 * g);
            Vector256<byte> u = Avx2.Abs(b);
            a0 = Step(a0, u, b, w0);
            a1 = Step(a1, u, b, w1);
        }
        Avx.Store(acc, a0);
        Avx.Store(acc + 8, a1);
    }

    private static void Four(sbyte* x, nint ldx, sbyte* panel, int groups, int* acc)
    {
        Vector256<int> a00 = default, a01 = default, a10 = default, a11 = default;
        Vector256<int> a20 = default, a21 = default, a30 = default, a31 = default;
        sbyte* x0 = x, x1 = x + ldx, x2 = x + 2 * ldx, x3 = x + 3 * ldx;
        for (int g = 0; g < groups; g++)
        {
            sbyte* wg = panel + g * QuantizedWeight.GroupBytes;
            Vector256<sbyte> w0 = Avx.LoadVector256(wg), w1 = Avx.LoadVector256(wg + 32);
            int o = 4 * g;
            Vector256<sbyte> b = Broadcast(x0 + o);
            Vector256<byte> u = Avx2.Abs(b);
            a00 = Step(a00, u, b, w0); a01 = Step(a01, u, b, w1);
            b = Broadcast(x1 + o); u = Avx2.Abs(b);
            a10 = Step(a10, u, b, w0); a11 = Step(a11, u, b, w1);
            b = Broadcast(x2 + o); u = Avx2.Abs(b);
            a20 = Step(a20, u, b, w0); a21 = Step(a21, u, b, w1);
            b = Broadcast(x3 + o); u = Avx2.Abs(b);
            a30 = Step(a30, u, b, w0); a31 = Step(a31, u, b, w1);
        }
        Avx.Store(acc, a00); Avx.Store(acc + 8, a01);
        Avx.Store(acc + 16, a10); Avx.Store(acc + 24, a11);
        Avx.Store(acc + 32, a20); Avx.Store(acc + 40, a21);
        Avx.Store(acc + 48, a30); Avx.Store(acc + 56, a31);
    }
}
