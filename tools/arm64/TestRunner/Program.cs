using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using BertSharp.Engine.Kernels;
using Microsoft.Testing.Platform.Builder;

namespace BertSharp.Tests.Arm64;

/// <summary>
/// Entry point: prints the ISA this process sees, then runs the linked Tests/ suites with NUnit on Microsoft.Testing.Platform
/// (its options pass through, e.g. --filter "FullyQualifiedName~Gemm"). Exit code 0 only when every test passed.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        Console.WriteLine(ArmIsa.Describe());
        ITestApplicationBuilder builder = await TestApplication.CreateBuilderAsync(args);
        SelfRegisteredExtensions.AddSelfRegisteredExtensions(builder, args);
        builder.TestHost.AddDataConsumer(_ => new TestResultRecorder());
        using ITestApplication app = await builder.BuildAsync();
        return await app.RunAsync();
    }
}

/// <summary>What the ARM64 run must see: AdvSimd (NEON) and Dp (SDOT/UDOT) usable, 128-bit Vector&lt;T&gt;, the portable GEMM.</summary>
public static class ArmIsa
{
    public static string Describe() =>
        $"ISA: {RuntimeInformation.ProcessArchitecture} ({RuntimeInformation.RuntimeIdentifier}, {RuntimeInformation.FrameworkDescription}); " +
        $"AdvSimd={AdvSimd.IsSupported} AdvSimd.Arm64={AdvSimd.Arm64.IsSupported} Dp={Dp.IsSupported} Rdm={Rdm.IsSupported} " +
        $"Crc32={Crc32.IsSupported}; Vector.IsHardwareAccelerated={Vector.IsHardwareAccelerated} Vector<float>.Count={Vector<float>.Count}; " +
        $"Gemm.BestPath={Gemm.BestPath}; ProcessorCount={Environment.ProcessorCount}";

    /// <summary>Null when the ARM64 paths are really taken; otherwise why not.</summary>
    public static string? Problem()
    {
        if (RuntimeInformation.ProcessArchitecture != Architecture.Arm64) return $"process architecture is {RuntimeInformation.ProcessArchitecture}, not Arm64";
        if (!AdvSimd.IsSupported || !AdvSimd.Arm64.IsSupported) return "AdvSimd (NEON) is not supported: the vector kernels would fall back to scalar code";
        if (!Dp.IsSupported) return "Dp (SDOT/UDOT) is not supported";
        if (!Vector.IsHardwareAccelerated || Vector<float>.Count != 4) return $"Vector<float> is not 128-bit hardware vectors (Count {Vector<float>.Count}, accelerated {Vector.IsHardwareAccelerated})";
        if (Gemm.BestPath != GemmPath.Portable) return $"Gemm.BestPath is {Gemm.BestPath}, expected Portable";
        return null;
    }
}
