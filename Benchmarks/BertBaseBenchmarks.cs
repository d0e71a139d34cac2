using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BertSharp.Cli;
using BertSharp.Engine;

namespace BertSharp.Benchmarks;

/// <summary>
/// A BERT-base-shaped encoder (bert-base-uncased config: 12 layers, hidden 768, 12 heads, FFN 3072; random weights
/// from seed 42, see <see cref="SyntheticCheckpoint"/>): forward pass time, GFLOP/s and % of the machine's fp32 peak
/// (one core's peak measured in the same process, × threads). No ONNX baseline: we have no BERT-base ONNX file here.
/// Run: dotnet run -c Release --project Benchmarks -- --filter '*BertBase*' --job short
/// </summary>
[Config(typeof(BertBaseConfig))]
[MemoryDiagnoser]
public class BertBaseBenchmarks
{
    [Params("1x8", "1x32", "1x128", "1x512", "32x128")]
    public string Shape { get; set; } = "1x128";

    public const int Threads = 2;

    private BertModel _model = null!;
    private BertBatch _input = null!;
    private float[] _output = null!;

    public static (int Batch, int Seq) ParseShape(string shape)
    {
        string[] parts = shape.Split('x');
        return (int.Parse(parts[0]), int.Parse(parts[1]));
    }

    [GlobalSetup]
    public void Setup()
    {
        var (batch, seq) = ParseShape(Shape);
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-bench-bert-base-{Environment.ProcessId}");
        try
        {
            SyntheticCheckpoint.Write("bert-base-uncased", dir, seed: 42);
            _model = BertModel.Load(dir);
        }
        finally { Directory.Delete(dir, recursive: true); }
        _input = new BertBatch(batch, seq, BenchmarkData.SyntheticIds(batch, seq));
        _output = new float[batch * seq * _model.Config.HiddenSize];
    }

    [Benchmark(Description = "BertSharp RunInto")]
    public float RunInto()
    {
        _model.RunInto(_input, _output, default, Threads);
        return _output[0];
    }
}

public sealed class BertBaseConfig : ManualConfig
{
    public BertBaseConfig()
    {
        AddColumn(new EncoderGflopsColumn(), new PercentOfPeakColumn());
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

/// <summary>GFLOP/s of a bert-base-uncased forward pass (<see cref="EncoderCost.Flops"/>) from the mean time.</summary>
public sealed class EncoderGflopsColumn : IColumn
{
    private static readonly BertSharp.Weights.BertConfig BertBase =
        BertSharp.Weights.BertConfig.Parse(SyntheticCheckpoint.Presets["bert-base-uncased"], "bert-base-uncased");

    public string Id => "EncoderGFLOPs";
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Encoder matrix-multiply FLOPs (EncoderCost.Flops) per second, from the mean";
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        Gflops(summary, benchmarkCase) is double g ? g.ToString("F1") : "-";

    internal static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null || benchmarkCase.Parameters["Shape"] is not string shape) return null;
        var (batch, seq) = BertBaseBenchmarks.ParseShape(shape);
        return EncoderCost.Flops(BertBase, batch, seq) / stats.Mean;   // flop per ns = GFLOP/s
    }
}

/// <summary>GFLOP/s ÷ (one core's measured zmm-FMA peak × threads).</summary>
public sealed class PercentOfPeakColumn : IColumn
{
    private static readonly Lazy<double> CorePeak = new(MeasureCorePeakGflops);

    public string Id => "PercentOfPeak";
    public string ColumnName => "% of peak";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 1;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => $"GFLOP/s ÷ ({BertBaseBenchmarks.Threads} threads × one core's fp32 FMA peak, measured when the table is printed)";
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public bool IsAvailable(Summary summary) => true;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        EncoderGflopsColumn.Gflops(summary, benchmarkCase) is double g
            ? $"{100 * g / (CorePeak.Value * BertBaseBenchmarks.Threads):F0}% of {CorePeak.Value * BertBaseBenchmarks.Threads:F0}"
            : "-";

    /// <summary>Best of 5 runs of 12 independent FMA chains (zmm with AVX-512, else ymm), in GFLOP/s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double MeasureCorePeakGflops()
    {
        double best = 0;
        for (int run = 0; run < 5; run++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            double flops = Avx512F.IsSupported ? ZmmChains(2_000_000) : Fma.IsSupported ? YmmChains(2_000_000) : 0;
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Max(best, flops / seconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double ZmmChains(long iterations)
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
        GC.KeepAlive((a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0]);
        return iterations * 12.0 * 16 * 2;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double YmmChains(long iterations)
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
        GC.KeepAlive((a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0]);
        return iterations * 12.0 * 8 * 2;
    }
}
