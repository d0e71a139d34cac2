namespace BertSharp.Benchmarks;

public static class Program
{
    /// <summary>BenchmarkDotNet's switcher; "quantization-recall" runs <see cref="QuantizationRecall"/> (a quality measurement, not timed by BenchmarkDotNet).</summary>
    public static void Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "quantization-recall") { QuantizationRecall.Run(args[1..]); return; }
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
