using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BertSharp.Engine.Kernels;

namespace BertSharp.Benchmarks;

// Run: dotnet run -c Release --project Benchmarks -- --filter '*Gemm*' '*FmaPeak*'
// Machine peak (fp32) = cores × FMA instructions per cycle × lanes × 2 × clock. FmaPeakBenchmarks measures one
// core's in the same run (12 independent zmm FMA chains), so "% of peak" needs no guessed clock. On the project's
// 2-core AMD EPYC (Zen 4: AVX-512 runs on two 256-bit FMA pipes = one zmm FMA per cycle) that is
// 32 flop/cycle × ~3.6 GHz ≈ 115 GFLOP/s per core, ≈ 230 for both. (The 544 assumes 64 flop/cycle, i.e. Zen 5.)

/// <summary>Short runs (the machine is shared) with a GFLOP/s column.</summary>
public sealed class GemmBenchmarkConfig : ManualConfig
{
    public GemmBenchmarkConfig()
    {
        // 100 ms iterations (not BenchmarkDotNet's 500 ms default) so a whole run fits in the quiet moments of a
        // machine shared with other work.
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(12).WithLaunchCount(1)
            .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(100)));
        AddColumn(new GflopsColumn());
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

/// <summary>GFLOP/s from the mean time: 2·M·K·N for a "Shape" parameter "MxKxN", or the benchmark's declared count.</summary>
public sealed class GflopsColumn()
    : NumericColumn("GFLOPs", "GFLOP/s", 0, "Billions of floating-point operations per second (2 per multiply-add), from the mean")
{
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null) return "-";
        double flops;
        if (benchmarkCase.Parameters["Shape"] is string shape)
        {
            var (m, k, n) = GemmBenchmarks.ParseShape(shape);
            flops = 2.0 * m * k * n;
        }
        else if (benchmarkCase.Descriptor.WorkloadMethod.Name == nameof(FmaPeakBenchmarks.ZmmFma))
            flops = FmaPeakBenchmarks.Flops;
        else return "-";
        return (flops / stats.Mean).ToString("F1"); // flop per ns = GFLOP/s
    }
}

/// <summary>Packed GEMM on the BERT linear-layer shapes (M tokens × K in × N out), 1 and 2 threads.</summary>
[Config(typeof(GemmBenchmarkConfig))]
[MemoryDiagnoser]
public class GemmBenchmarks
{
    [Params("128x384x384", "128x384x1536", "128x768x768", "128x768x3072", "128x3072x768", "4096x768x768")]
    public string Shape { get; set; } = "128x384x384";

    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _x = [], _bias = [], _y = [];
    private PackedWeight _w = null!;
    private int _m;

    public static (int M, int K, int N) ParseShape(string shape)
    {
        string[] parts = shape.Split('x');
        return (int.Parse(parts[0]), int.Parse(parts[1]), int.Parse(parts[2]));
    }

    [GlobalSetup]
    public void Setup()
    {
        var (m, k, n) = ParseShape(Shape);
        var rng = new Random(42);
        _m = m;
        _x = RandomArray(rng, m * k);
        _bias = RandomArray(rng, n);
        _y = new float[m * n];
        _w = PackedWeight.Pack(RandomArray(rng, n * k), n, k);
    }

    internal static float[] RandomArray(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() - 0.5);
        return a;
    }

    [Benchmark]
    public void Packed() => Gemm.Linear(_x, _m, _w, _bias, _y, maxThreads: Threads);
}

/// <summary>
/// Baselines on the smallest BERT shape only (they are slow): the triple-loop reference and one
/// TensorPrimitives.Dot per output element, next to the packed GEMM on one thread.
/// </summary>
[Config(typeof(GemmBenchmarkConfig))]
[MemoryDiagnoser]
public class GemmBaselineBenchmarks
{
    [Params("128x384x384")]
    public string Shape { get; set; } = "128x384x384";

    private float[] _x = [], _w = [], _bias = [], _y = [];
    private PackedWeight _packed = null!;
    private int _m, _k, _n;

    [GlobalSetup]
    public void Setup()
    {
        (_m, _k, _n) = GemmBenchmarks.ParseShape(Shape);
        var rng = new Random(42);
        _x = GemmBenchmarks.RandomArray(rng, _m * _k);
        _w = GemmBenchmarks.RandomArray(rng, _n * _k);
        _bias = GemmBenchmarks.RandomArray(rng, _n);
        _y = new float[_m * _n];
        _packed = PackedWeight.Pack(_w, _n, _k);
    }

    [Benchmark(Baseline = true)]
    public void Reference() => GemmReference.Linear(_x, _m, _k, _w, _n, _bias, _y);

    [Benchmark]
    public void DotPerElement()
    {
        for (int i = 0; i < _m; i++)
        {
            ReadOnlySpan<float> xi = _x.AsSpan(i * _k, _k);
            for (int j = 0; j < _n; j++)
                _y[i * _n + j] = TensorPrimitives.Dot(xi, _w.AsSpan(j * _k, _k)) + _bias[j];
        }
    }

    [Benchmark]
    public void PackedOneThread() => Gemm.Linear(_x, _m, _packed, _bias, _y, maxThreads: 1);
}

/// <summary>One core's fp32 peak, measured: 12 independent chains of zmm (or ymm) FMAs.</summary>
[Config(typeof(GemmBenchmarkConfig))]
public class FmaPeakBenchmarks
{
    private const long Iterations = 10_000_000;

    /// <summary>Floating-point operations per <see cref="ZmmFma"/> call (12 FMAs × 16 lanes × 2 per iteration).</summary>
    public static double Flops => Iterations * 12.0 * 16 * 2;

    [Benchmark]
    public float ZmmFma() => Avx512F.IsSupported ? FmaChains.Zmm(Iterations) : 0f;

}
