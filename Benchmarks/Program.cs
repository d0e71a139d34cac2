namespace BertSharp.Benchmarks;

/// <summary>BenchmarkDotNet's switcher (--filter ...), or the quick GEMM report (--gemm-quick-report).</summary>
public static class Program
{
    public static void Main(string[] args)
    {
        if (args is ["--gemm-quick-report"]) { GemmQuickReport.Run(Console.Out); return; }
        BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
    }
}
