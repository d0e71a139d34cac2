using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BertSharp.Weights;
using BertSharp.Engine;

namespace BertSharp.Benchmarks;

/// <summary>
/// A BERT-base-shaped encoder (bert-base-uncased config: 12 layers, hidden 768, 12 heads, FFN 3072; random weights
/// from seed 42, see <see cref="SyntheticCheckpoint"/>): forward pass time, GFLOP/s and % of the machine's fp32 peak
/// (one core's peak measured in the same process, × threads). No ONNX baseline: we have no BERT-base ONNX file here.
/// Run: dotnet run -c Release --project Benchmarks -- --filter '*BertBase*' --job short
/// "int8 RunInto": the same checkpoint loaded with LoadOptions { Quantization = Int8 } (issue 11 target: 1×8 int8 ≤ 0.4×
/// fp32). Random weights: SmoothQuant calibrates on random ids (no tokenizer in the synthetic folder).
/// </summary>
[Config(typeof(BertBaseConfig))]
[MemoryDiagnoser]
public class BertBaseBenchmarks
{
    [Params("1x8", "1x32", "1x128", "1x512", "32x128")]
    public string Shape { get; set; } = "1x128";

    public const int Threads = 2;

    private BertModel _model = null!, _modelInt8 = null!;
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
            _modelInt8 = BertModel.Load(dir, new LoadOptions { Quantization = WeightQuantization.Int8 });
        }
        finally { Directory.Delete(dir, recursive: true); }
        _input = new BertBatch(batch, seq, BenchmarkData.SyntheticIds(batch, seq));
        BertModel.WorkspaceCacheLimitBytes = 256L << 20;   // serving setting: keep bert-base's 126 MB batch-32 scratch
        _output = new float[batch * seq * _model.Config.HiddenSize];
    }

    [Benchmark(Baseline = true, Description = "BertSharp RunInto")]
    public float RunInto()
    {
        _model.RunInto(_input, _output, default, Threads);
        return _output[0];
    }

    [Benchmark(Description = "BertSharp int8 RunInto")]
    public float RunIntoInt8()
    {
        _modelInt8.RunInto(_input, _output, default, Threads);
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
public sealed class EncoderGflopsColumn()
    : NumericColumn("EncoderGFLOPs", "GFLOP/s", 0, "Encoder matrix-multiply FLOPs (EncoderCost.Flops) per second, from the mean")
{
    private static readonly BertSharp.Weights.BertConfig BertBase =
        BertSharp.Weights.BertConfig.Parse(SyntheticCheckpoint.Presets["bert-base-uncased"], "bert-base-uncased");

    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        Gflops(summary, benchmarkCase) is double g ? g.ToString("F1") : "-";

    internal static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        var stats = summary[benchmarkCase]?.ResultStatistics;
        if (stats is null || benchmarkCase.Parameters["Shape"] is not string shape) return null;
        var (batch, seq) = BertBaseBenchmarks.ParseShape(shape);
        return EncoderCost.Flops(BertBase, batch, seq) / stats.Mean;   // flop per ns = GFLOP/s
    }
}

/// <summary>GFLOP/s ÷ (one core's measured zmm-FMA peak × threads); "-" without AVX-512.</summary>
public sealed class PercentOfPeakColumn() : NumericColumn("PercentOfPeak", "% of peak", 1, "")
{
    private static readonly Lazy<double> CorePeak = new(MeasureCorePeakGflops);

    public override string Legend => $"GFLOP/s ÷ ({BertBaseBenchmarks.Threads} threads × one core's fp32 FMA peak, measured when the table is printed)";
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) =>
        EncoderGflopsColumn.Gflops(summary, benchmarkCase) is double g && !double.IsNaN(CorePeak.Value)
            ? $"{100 * g / (CorePeak.Value * BertBaseBenchmarks.Threads):F0}% of {CorePeak.Value * BertBaseBenchmarks.Threads:F0}"
            : "-";

    /// <summary>Best of 5 runs of <see cref="FmaPeakBenchmarks.ZmmFma"/> (12 independent zmm FMA chains), in GFLOP/s.</summary>
    private static double MeasureCorePeakGflops()
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) return double.NaN;   // the probe is zmm-only: no column
        var fma = new FmaPeakBenchmarks();
        double best = 0;
        for (int run = 0; run < 5; run++)
        {
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            float sink = fma.ZmmFma();
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (float.IsNaN(sink)) throw new InvalidOperationException("unreachable: keeps the result alive");
            best = Math.Max(best, FmaPeakBenchmarks.Flops / seconds / 1e9);
        }
        return best;
    }
}
