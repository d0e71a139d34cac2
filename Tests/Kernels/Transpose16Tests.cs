using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>The AVX-512 16×16 block transpose against its plain loop.</summary>
public class Transpose16Tests
{
    [TestCase(16, 16)] [TestCase(32, 16)] [TestCase(17, 40)] [TestCase(1152, 32)]
    public unsafe void MatchesReferenceWithStrides(int lds, int ldd)
    {
        if (!System.Runtime.Intrinsics.X86.Avx512F.IsSupported) Assert.Ignore("no AVX-512F on this CPU");
        var rng = new Random(lds * 7 + ldd);
        var src = new float[16 * lds];
        for (int i = 0; i < src.Length; i++) src[i] = (float)rng.NextDouble();
        var fast = new float[16 * ldd]; var reference = new float[16 * ldd];
        for (int i = 0; i < fast.Length; i++) fast[i] = reference[i] = -1f;     // untouched columns stay -1
        fixed (float* s = src, f = fast, r = reference)
        {
            Transpose16.Block(s, lds, f, ldd);
            Transpose16.Reference(s, lds, r, ldd);
        }
        Assert.That(fast, Is.EqualTo(reference));
        Assert.That(fast[ldd * 3 + 5], Is.EqualTo(src[5 * lds + 3]));
    }
}
