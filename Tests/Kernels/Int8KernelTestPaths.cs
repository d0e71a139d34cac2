using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>What the int8 GEMM tests share: every path (unsupported ones report themselves ignored) and random data.</summary>
internal static class Int8KernelTestPaths
{
    public static readonly Int8GemmPath[] All =
        [Int8GemmPath.AvxVnni, Int8GemmPath.Avx512BW, Int8GemmPath.Avx2, Int8GemmPath.ArmDot, Int8GemmPath.Portable, Int8GemmPath.Auto];

    public static void Require(Int8GemmPath path)
    {
        if (!Int8Gemm.IsSupported(path))
            Assert.Ignore($"Int8GemmPath.{path} needs {Int8Gemm.Requirement(path)}, which this CPU lacks");
    }

    /// <summary>length values uniform in [-scale, scale).</summary>
    public static float[] Random(Random rng, int length, float scale = 1f)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }
}
