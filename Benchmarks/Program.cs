namespace BertSharp.Benchmarks;

/// <summary>
/// BenchmarkDotNet's switcher (--filter ...), or the quick GEMM report (--gemm-quick-report), or
/// "quantization-recall" (<see cref="QuantizationRecall"/>: a quality measurement, not timed by BenchmarkDotNet).
/// </summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["--gemm-quick-report"]) { GemmQuickReport.Run(Console.Out); return; }
        if (args.Length > 0 && args[0] == "quantization-recall") { QuantizationRecall.Run(args[1..]); return; }
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
