using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BertSharp.Engine.Kernels;

namespace BertSharp.Benchmarks;

// Run: dotnet run -c Release --project Benchmarks -- --filter '*Int8GemmBenchmarks*' --job short
// Int8 vs fp32 on the BERT linear shapes (M tokens × K in × N out), in two groups, each with its fp32 baseline:
// "Avx2" (Int8GemmPath.Avx2 vs GemmPath.Vector256: what an x86-64-v3 NativeAOT binary without AVX-VNNI runs) and
// "Auto" (each kernel's best path on this CPU: Avx512BW or AvxVnni for int8 in a JIT process). Int8 rows use
// reduced-range (7-bit) weights, the fast biased-u8 kernels; "FullRange" rows the 8-bit weights (on x64 without VNNI
// the VPSIGNB kernel). GFLOP/s counts 2·M·K·N operations for int8 too.

/// <summary>No job of its own (take it from the command line, e.g. --job short); the GFLOP/s column and ratios per category.</summary>
public sealed class Int8GemmBenchmarkConfig : ManualConfig
{
    public Int8GemmBenchmarkConfig()
    {
        AddColumn(new GflopsColumn());
        AddLogicalGroupRules(BenchmarkLogicalGroupRule.ByCategory);
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

/// <summary>Int8Gemm (activations quantized per row inside the call) vs the fp32 Gemm, same shapes, 1 and 2 threads.</summary>
[Config(typeof(Int8GemmBenchmarkConfig))]
[MemoryDiagnoser]
[CategoriesColumn]
public class Int8GemmBenchmarks
{
    [Params("128x384x384", "128x384x1536", "128x1536x384", "128x768x3072")]
    public string Shape { get; set; } = "128x384x384";

    [Params(1, 2)]
    public int Threads { get; set; }

    private float[] _x = [], _bias = [], _y = [];
    private PackedWeight _fp32 = null!;
    private QuantizedWeight _int8 = null!, _int8Full = null!;
    private int _m;

    [GlobalSetup]
    public void Setup()
    {
        var (m, k, n) = GemmBenchmarks.ParseShape(Shape);
        var rng = new Random(42);
        _m = m;
        _x = GemmBenchmarks.RandomArray(rng, m * k);
        _bias = GemmBenchmarks.RandomArray(rng, n);
        _y = new float[m * n];
        float[] w = GemmBenchmarks.RandomArray(rng, n * k);
        _fp32 = PackedWeight.Pack(w, n, k);
        _int8 = QuantizedWeight.Quantize(w, n, k, reducedRange: true);
        _int8Full = QuantizedWeight.Quantize(w, n, k);
    }

    [Benchmark(Baseline = true), BenchmarkCategory("Avx2")]
    public void Fp32Vector256() => Gemm.Linear(_x, _m, _fp32, _bias, _y, maxThreads: Threads, path: GemmPath.Vector256);

    [Benchmark, BenchmarkCategory("Avx2")]
    public void Int8Avx2() => Int8Gemm.Linear(_x, _m, _int8, _bias, _y, maxThreads: Threads, path: Int8GemmPath.Avx2);

    [Benchmark, BenchmarkCategory("Avx2")]
    public void Int8Avx2FullRange() => Int8Gemm.Linear(_x, _m, _int8Full, _bias, _y, maxThreads: Threads, path: Int8GemmPath.Avx2);

    [Benchmark(Baseline = true), BenchmarkCategory("Auto")]
    public void Fp32Auto() => Gemm.Linear(_x, _m, _fp32, _bias, _y, maxThreads: Threads);

    [Benchmark, BenchmarkCategory("Auto")]
    public void Int8Auto() => Int8Gemm.Linear(_x, _m, _int8, _bias, _y, maxThreads: Threads);

    [Benchmark, BenchmarkCategory("Auto")]
    public void Int8AutoFullRange() => Int8Gemm.Linear(_x, _m, _int8Full, _bias, _y, maxThreads: Threads);
}
