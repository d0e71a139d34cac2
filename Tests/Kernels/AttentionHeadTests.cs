using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>The fused attention head (<see cref="AttentionHead"/>) against its double-precision reference, on every path.</summary>
public class AttentionHeadTests
{
    private static IEnumerable<GemmPath> Paths()
    {
        foreach (GemmPath path in new[] { GemmPath.Vector512, GemmPath.Vector256, GemmPath.Portable, GemmPath.Auto })
            if (Gemm.IsSupported(path)) yield return path;
    }

    private static float[] Random(int n, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static (float[] Context, float[] Probabilities, float[] RefContext, float[] RefProbabilities) Run(
        int len, int d, GemmPath path, int[] mask, int seed, float spread = 3f)
    {
        int ld = 3 * d + 5, ldc = d + 3, ldp = len + 2;     // strided, as heads are column slices of qkv
        var qkv = Random(Math.Max(1, len * ld), seed, spread);
        ReadOnlySpan<float> q = qkv, k = qkv.AsSpan(Math.Min(d, qkv.Length)), v = qkv.AsSpan(Math.Min(2 * d, qkv.Length));
        var ctx = Random(Math.Max(1, len * ldc), seed + 1);          // stale contents must be overwritten
        var probs = Random(Math.Max(1, len * ldp), seed + 2);
        var refCtx = (float[])ctx.Clone(); var refProbs = (float[])probs.Clone();
        float scale = 1f / MathF.Sqrt(Math.Max(1, d));
        var scratch = new float[AttentionHead.ScratchFloats(len, d) + 3];
        AttentionHead.Compute(len, d, q, ld, k, ld, v, ld, scale, mask, ctx, ldc, probs, ldp, scratch, path);
        AttentionHead.Reference(len, d, q, ld, k, ld, v, ld, scale, mask, refCtx, ldc, refProbs, ldp);
        return (ctx, probs, refCtx, refProbs);
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    [Test]
    public void MatchesReferenceOnRandomShapes(
        [ValueSource(nameof(Paths))] GemmPath path,
        [Values(1, 2, 7, 31, 32, 33, 64, 128, 129, 384)] int len,
        [Values(1, 7, 16, 32, 64)] int d)
    {
        var (ctx, probs, refCtx, refProbs) = Run(len, d, path, [], seed: len * 100 + d);
        Assert.That(MaxAbsDiff(ctx, refCtx), Is.LessThanOrEqualTo(2e-6 * (1 + Math.Sqrt(d))), "context");
        Assert.That(MaxAbsDiff(probs, refProbs), Is.LessThanOrEqualTo(2e-6), "probabilities");
    }

    [Test]
    public void LongSequenceMatchesReference([ValueSource(nameof(Paths))] GemmPath path)
    {
        var (ctx, _, refCtx, _) = Run(512, 64, path, [], seed: 9);
        Assert.That(MaxAbsDiff(ctx, refCtx), Is.LessThanOrEqualTo(2e-5));
    }

    [Test]
    public void MaskedKeysGetZeroProbabilityAndDoNotChangeTheRest([ValueSource(nameof(Paths))] GemmPath path,
        [Values(5, 33, 100)] int len)
    {
        var mask = new int[len];
        for (int j = 0; j < len; j++) mask[j] = j % 3 == 1 ? 0 : 1;
        var (ctx, probs, refCtx, refProbs) = Run(len, 64, path, mask, seed: len);
        Assert.That(MaxAbsDiff(ctx, refCtx), Is.LessThanOrEqualTo(2e-5), "context");
        Assert.That(MaxAbsDiff(probs, refProbs), Is.LessThanOrEqualTo(2e-6), "probabilities");
        for (int i = 0; i < len; i++)
            for (int j = 1; j < len; j += 3)
                Assert.That(probs[i * (len + 2) + j], Is.EqualTo(0f), $"p[{i},{j}]");
    }

    [Test]
    public void EveryKeyMaskedGivesZeros([ValueSource(nameof(Paths))] GemmPath path)
    {
        var (ctx, probs, refCtx, refProbs) = Run(9, 7, path, new int[9], seed: 4);
        for (int i = 0; i < 9; i++)
        {
            Assert.That(ctx.AsSpan(i * 10, 7).ToArray(), Is.All.EqualTo(0f));
            Assert.That(probs.AsSpan(i * 11, 9).ToArray(), Is.All.EqualTo(0f));
        }
        Assert.That(MaxAbsDiff(ctx, refCtx), Is.EqualTo(0));
        Assert.That(MaxAbsDiff(probs, refProbs), Is.EqualTo(0));
    }

    [Test]
    public void LargeScoresDoNotOverflow([ValueSource(nameof(Paths))] GemmPath path)
    {
        var (ctx, probs, refCtx, refProbs) = Run(40, 16, path, [], seed: 3, spread: 30f);
        // Scores reach ~±3000 here, where float rounding of the scores alone moves probabilities by ~1e-4 relative.
        Assert.That(ctx, Has.None.NaN);
        Assert.That(MaxAbsDiff(ctx, refCtx), Is.LessThanOrEqualTo(1e-2));
        Assert.That(MaxAbsDiff(probs, refProbs), Is.LessThanOrEqualTo(1e-3));
        for (int i = 0; i < 40; i++)
        {
            double sum = 0;
            for (int j = 0; j < 40; j++) sum += probs[i * 42 + j];
            Assert.That(sum, Is.EqualTo(1.0).Within(1e-5), $"row {i}");
        }
    }

    [Test]
    public void Vector512AndVector256PathsAgreeBitForBit()
    {
        if (!Gemm.IsSupported(GemmPath.Vector512)) Assert.Ignore("no AVX-512F on this CPU");
        var a = Run(77, 64, GemmPath.Vector512, [], seed: 11);
        var b = Run(77, 64, GemmPath.Vector256, [], seed: 11);
        Assert.That(a.Context, Is.EqualTo(b.Context));
        Assert.That(a.Probabilities, Is.EqualTo(b.Probabilities));
    }

    [Test]
    public void RejectsShortOperands()
    {
        var scratch = new float[AttentionHead.ScratchFloats(4, 8)];
        Assert.That(() => AttentionHead.Compute(4, 8, new float[31], 8, new float[32], 8, new float[32], 8, 1f, [], new float[32], 8, [], 0, scratch),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("q"));
        Assert.That(() => AttentionHead.Compute(4, 8, new float[32], 8, new float[32], 8, new float[32], 8, 1f, [], new float[32], 8, [], 0, new float[10]),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("scratch"));
        Assert.That(() => AttentionHead.Compute(4, 8, new float[32], 8, new float[32], 8, new float[32], 8, 1f, [1, 1], new float[32], 8, [], 0, scratch),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("keyMask"));
    }
}
