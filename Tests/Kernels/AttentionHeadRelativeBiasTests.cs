using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>
/// The fused attention head with a relative position bias (MPNet's, score(i, j) += bias[len − 1 + i − j]) against the
/// double-precision reference on every path, and the bias really reaching the softmax.
/// </summary>
public class AttentionHeadRelativeBiasTests
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

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++) m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    /// <returns>(context, probabilities) from Compute, the same from Reference</returns>
    private static (float[], float[], float[], float[]) Run(int len, int d, GemmPath path, int[] mask, float[] bias, int seed)
    {
        int ld = 3 * d + 5, ldc = d + 3, ldp = len + 2;
        var qkv = Random(len * ld, seed, 3f);
        ReadOnlySpan<float> q = qkv, k = qkv.AsSpan(d), v = qkv.AsSpan(2 * d);
        var ctx = new float[len * ldc]; var probs = new float[len * ldp];
        var refCtx = new float[len * ldc]; var refProbs = new float[len * ldp];
        float scale = 1f / MathF.Sqrt(d);
        var scratch = new float[AttentionHead.ScratchFloats(len, d)];
        AttentionHead.Compute(len, d, q, ld, k, ld, v, ld, scale, mask, ctx, ldc, probs, ldp, scratch, bias, path);
        AttentionHead.Reference(len, d, q, ld, k, ld, v, ld, scale, mask, refCtx, ldc, refProbs, ldp, bias);
        return (ctx, probs, refCtx, refProbs);
    }

    [Test]
    public void BiasedHeadMatchesReference([ValueSource(nameof(Paths))] GemmPath path,
        [Values(1, 7, 32, 33, 98, 129)] int len, [Values(8, 16, 64)] int d)
    {
        var mask = new int[len];
        for (int j = 0; j < len; j++) mask[j] = j % 5 == 3 ? 0 : 1;
        float[] bias = Random(2 * len - 1, len + d, 2f);
        var (ctx, probs, refCtx, refProbs) = Run(len, d, path, mask, bias, seed: len * 7 + d);
        Assert.That(MaxAbsDiff(ctx, refCtx), Is.LessThanOrEqualTo(2e-5), "context");
        Assert.That(MaxAbsDiff(probs, refProbs), Is.LessThanOrEqualTo(2e-6), "probabilities");
    }

    [Test]
    public void BiasChangesTheProbabilitiesAsScoresWould([ValueSource(nameof(Paths))] GemmPath path)
    {
        // A bias of +ln 2 on distance i − j = 1 doubles exp(score) of each query's previous key, relative to no bias.
        int len = 40, d = 16;
        var zero = new float[2 * len - 1];
        var withBias = new float[2 * len - 1];
        withBias[len - 1 + 1] = MathF.Log(2f);
        var (_, plain, _, _) = Run(len, d, path, [], zero, seed: 5);
        var (_, biased, _, _) = Run(len, d, path, [], withBias, seed: 5);
        int ldp = len + 2;
        for (int i = 1; i < len; i++)
        {
            // p'(j) ∝ p(j) · (j == i − 1 ? 2 : 1): ratios between the previous key and key 0 (or the next one) double.
            int other = i - 1 == 0 ? 1 : 0;
            double before = plain[i * ldp + i - 1] / plain[i * ldp + other], after = biased[i * ldp + i - 1] / biased[i * ldp + other];
            Assert.That(after / before, Is.EqualTo(2.0).Within(1e-4), $"query {i}");
        }
    }

    [Test]
    public void TooShortBiasIsRejected()
    {
        int len = 4, d = 8;
        var qkv = new float[len * 3 * d];
        var e = Assert.Throws<ArgumentException>(() => AttentionHead.Compute(len, d, qkv, 3 * d, qkv.AsSpan(d), 3 * d, qkv.AsSpan(2 * d), 3 * d,
            1f, [], new float[len * d], d, default, 0, new float[AttentionHead.ScratchFloats(len, d)], new float[6]))!;
        Assert.That(e.Message, Does.Contain("relativeBias has 6 values, needs 2·len − 1 = 7"));
    }
}
