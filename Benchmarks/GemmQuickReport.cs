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
            float sink = FmaChains.Zmm(iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return sink == 12345f ? 0 : iterations * 12.0 * 16 * 2 / seconds / 1e9;
        }
        if (Fma.IsSupported)
        {
            float sink = FmaChains.Ymm(iterations);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return sink == 12345f ? 0 : iterations * 12.0 * 8 * 2 / seconds / 1e9;
        }
        return double.NaN;
    }
}
