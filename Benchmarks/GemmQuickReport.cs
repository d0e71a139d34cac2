using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BertSharp.Engine.Kernels;

namespace BertSharp.Benchmarks;

/// <summary>
/// A quick Stopwatch harness (seconds, not BenchmarkDotNet's minutes) printing GEMM GFLOP/s on the BERT shapes next
/// to one core's FMA peak measured just before each shape:
/// dotnet run -c Release --project Benchmarks -- --gemm-quick-report
/// </summary>
public static class GemmQuickReport
{
    private static readonly (int M, int K, int N)[] Shapes =
        [(128, 384, 384), (128, 384, 1536), (128, 768, 768), (128, 768, 3072), (128, 3072, 768), (4096, 768, 768), (1, 768, 768), (1, 768, 3072)];

    public static void Run(TextWriter output)
    {
        foreach (int threads in new[] { 1, 2 }) Report(threads, output);
    }

    private static void Report(int threads, TextWriter output)
    {
        var rng = new Random(1);
        output.WriteLine($"threads={threads} path={Gemm.BestPath} L1d={CpuCacheInfo.L1DataBytes} L2={CpuCacheInfo.L2Bytes}");
        output.WriteLine("shape (MxKxN)      median GFLOP/s   best GFLOP/s   median ms   1-core FMA peak   % of peak (threads x 1-core)");
        foreach (var (m, k, n) in Shapes)
        {
            var x = new float[m * k];
            var w = new float[n * k];
            for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble() - 0.5f;
            for (int i = 0; i < w.Length; i++) w[i] = (float)rng.NextDouble() - 0.5f;
            var bias = new float[n];
            var y = new float[m * n];
            var packed = PackedWeight.Pack(w, n, k);
            double flops = 2.0 * m * k * n;
            int calls = Math.Max(1, (int)(3e8 / flops));
            for (int i = 0; i < 3; i++) Gemm.Linear(x, m, packed, bias, y, maxThreads: threads);

            double peak = MeasurePeak();
            var times = new double[9];
            for (int rep = 0; rep < times.Length; rep++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++) Gemm.Linear(x, m, packed, bias, y, maxThreads: threads);
                times[rep] = Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
            }
            Array.Sort(times);
            double median = flops / times[times.Length / 2] / 1e9, best = flops / times[0] / 1e9;
            output.WriteLine($"{m}x{k}x{n,-12} {median,10:F1} {best,14:F1} {times[times.Length / 2] * 1e3,12:F3} {peak,14:F1} {100 * median / (peak * threads),14:F0}%");
        }
    }

    // One core's fp32 GFLOP/s: 12 independent FMA chains (zmm when AVX-512F is there, else ymm).
    private static double MeasurePeak()
    {
        const long iterations = 20_000_000;
        long start = Stopwatch.GetTimestamp();
        if (Avx512F.IsSupported)
        {
            float sink = ZmmChains(iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return sink == 12345f ? 0 : iterations * 12.0 * 16 * 2 / seconds / 1e9;
        }
        if (Fma.IsSupported)
        {
            float sink = YmmChains(iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return sink == 12345f ? 0 : iterations * 12.0 * 8 * 2 / seconds / 1e9;
        }
        return double.NaN;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization | MethodImplOptions.NoInlining)]
    private static float ZmmChains(long iterations)
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
    private static float YmmChains(long iterations)
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
