using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Benchmarks;

/// <summary>
/// One core's fp32 FMA peak: 12 independent chains of zmm (16 lanes) or ymm (8 lanes) fused multiply-adds, enough to
/// cover the FMA latency on two pipes. Flops per call: iterations × 12 × lanes × 2.
/// </summary>
public static class FmaChains
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static float Zmm(long iterations)
    {
        Vector512<float> a0 = Vector512.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector512<float> x = Vector512.Create(0.9999999f), y = Vector512.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Avx512F.FusedMultiplyAdd(a0, x, y); a1 = Avx512F.FusedMultiplyAdd(a1, x, y); a2 = Avx512F.FusedMultiplyAdd(a2, x, y);
            a3 = Avx512F.FusedMultiplyAdd(a3, x, y); a4 = Avx512F.FusedMultiplyAdd(a4, x, y); a5 = Avx512F.FusedMultiplyAdd(a5, x, y);
            a6 = Avx512F.FusedMultiplyAdd(a6, x, y); a7 = Avx512F.FusedMultiplyAdd(a7, x, y); a8 = Avx512F.FusedMultiplyAdd(a8, x, y);
            a9 = Avx512F.FusedMultiplyAdd(a9, x, y); a10 = Avx512F.FusedMultiplyAdd(a10, x, y); a11 = Avx512F.FusedMultiplyAdd(a11, x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0];
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    public static float Ymm(long iterations)
    {
        Vector256<float> a0 = Vector256.Create(1f), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;
        Vector256<float> x = Vector256.Create(0.9999999f), y = Vector256.Create(1e-7f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Fma.MultiplyAdd(a0, x, y); a1 = Fma.MultiplyAdd(a1, x, y); a2 = Fma.MultiplyAdd(a2, x, y);
            a3 = Fma.MultiplyAdd(a3, x, y); a4 = Fma.MultiplyAdd(a4, x, y); a5 = Fma.MultiplyAdd(a5, x, y);
            a6 = Fma.MultiplyAdd(a6, x, y); a7 = Fma.MultiplyAdd(a7, x, y); a8 = Fma.MultiplyAdd(a8, x, y);
            a9 = Fma.MultiplyAdd(a9, x, y); a10 = Fma.MultiplyAdd(a10, x, y); a11 = Fma.MultiplyAdd(a11, x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0];
    }
}
