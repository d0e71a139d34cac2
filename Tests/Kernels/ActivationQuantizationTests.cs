using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>The symmetric int8 row quantizer: scale, ties-to-even rounding, clamping, zero / tiny / non-finite rows.</summary>
public class ActivationQuantizationTests
{
    [Test]
    public void ScaleIsMaxMagnitudeOver127AndTheLargestElementMapsTo127()
    {
        float[] row = [0.5f, -2f, 1f, 0f];
        var q = new sbyte[4];
        float scale = ActivationQuantization.QuantizeRow(row, q);
        Assert.That(scale, Is.EqualTo(2f / 127f));
        // inv = 127 / 2 = 63.5: 0.5 → 31.75 → 32; -2 → -127; 1 → 63.5 → 64 (tie to even); 0 → 0.
        Assert.That(q, Is.EqualTo(new sbyte[] { 32, -127, 64, 0 }).AsCollection);
    }

    [Test]
    public void TiesRoundToEven()
    {
        // max 127 → inv = 1 exactly, so each value is its own scaled value.
        float[] row = [127f, 2.5f, 3.5f, -2.5f, -3.5f, 0.5f, -0.5f, 1.5f, 126.5f];
        var q = new sbyte[row.Length];
        Assert.That(ActivationQuantization.QuantizeRow(row, q), Is.EqualTo(1f));
        Assert.That(q, Is.EqualTo(new sbyte[] { 127, 2, 4, -2, -4, 0, 0, 2, 126 }).AsCollection);
    }

    [Test]
    public void EveryElementFollowsTheScalarRuleWhateverItsPositionInTheRow()
    {
        // Long rows go 16 at a time through Vector128 code; it must give exactly Quantize(value, 127 / max) everywhere,
        // ties included (max 127 → inv 1: halves are exact ties), and the scalar tail must too.
        var rng = new Random(9);
        foreach (int k in new[] { 15, 16, 17, 33, 100, 384 })
        {
            var row = new float[k];
            for (int p = 0; p < k; p++) row[p] = rng.Next(-254, 255) * 0.5f; // -127 .. 127 in halves
            row[rng.Next(k)] = rng.Next(2) == 0 ? 127f : -127f;
            var q = new sbyte[k];
            Assert.That(ActivationQuantization.QuantizeRow(row, q), Is.EqualTo(1f));
            for (int p = 0; p < k; p++)
                Assert.That(q[p], Is.EqualTo((sbyte)Math.Round(row[p], MidpointRounding.ToEven)), $"k={k} p={p} value {row[p]}");

            var random = new float[k];
            for (int p = 0; p < k; p++) random[p] = (float)(rng.NextDouble() * 2 - 1) * 7f;
            float scale = ActivationQuantization.QuantizeRow(random, q);
            Assert.That(scale, Is.GreaterThan(0f));
            float max = 0f;
            foreach (float v in random) max = MathF.Max(max, MathF.Abs(v));
            float inv = 127f / max;
            for (int p = 0; p < k; p++)
                Assert.That(q[p], Is.EqualTo(ActivationQuantization.Quantize(random[p], inv)), $"k={k} p={p}");
        }
    }

    [Test]
    public void ValuesBeyondTheRangeClampToPlusMinus127NeverMinus128()
    {
        Assert.That(ActivationQuantization.Quantize(200f, 1f), Is.EqualTo((sbyte)127));
        Assert.That(ActivationQuantization.Quantize(-200f, 1f), Is.EqualTo((sbyte)-127));
        Assert.That(ActivationQuantization.Quantize(-127.6f, 1f), Is.EqualTo((sbyte)-127));
        Assert.That(ActivationQuantization.Quantize(127.49f, 1f), Is.EqualTo((sbyte)127));
        // A whole row of the negative extreme: -127, not -128.
        var q = new sbyte[3];
        ActivationQuantization.QuantizeRow([-3f, -3f, 3f], q);
        Assert.That(q, Is.EqualTo(new sbyte[] { -127, -127, 127 }).AsCollection);
    }

    [Test]
    public void ZeroAndTinyRowsHaveScaleZeroAndZeroValues()
    {
        var q = new sbyte[] { 9, 9, 9 };
        Assert.That(ActivationQuantization.QuantizeRow([0f, -0f, 0f], q), Is.EqualTo(0f));
        Assert.That(q, Is.All.EqualTo((sbyte)0));
        q = [9, 9, 9];
        Assert.That(ActivationQuantization.QuantizeRow([1e-38f, -1e-39f, 0f], q), Is.EqualTo(0f), "127 / max overflows: treated as zero");
        Assert.That(q, Is.All.EqualTo((sbyte)0));
    }

    [Test]
    public void NonFiniteRowsHaveScaleNaN()
    {
        foreach (float bad in new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity })
        {
            var q = new sbyte[] { 9, 9, 9 };
            Assert.That(ActivationQuantization.QuantizeRow([1f, bad, 2f], q), Is.NaN, bad.ToString());
            Assert.That(q, Is.All.EqualTo((sbyte)0));
        }
    }

    [Test]
    public void ReconstructionErrorIsAtMostHalfAScaleStep()
    {
        var rng = new Random(3);
        for (int trial = 0; trial < 50; trial++)
        {
            int k = 1 + rng.Next(500);
            float magnitude = MathF.Pow(10f, rng.Next(-6, 6));
            var row = new float[k];
            for (int p = 0; p < k; p++) row[p] = (float)(rng.NextDouble() * 2 - 1) * magnitude;
            var q = new sbyte[k + 2];
            q[k] = q[k + 1] = 42;
            float scale = ActivationQuantization.QuantizeRow(row, q);
            float max = 0f;
            foreach (float v in row) max = MathF.Max(max, MathF.Abs(v));
            Assert.That(scale, Is.EqualTo(max / 127f));
            // fl(x · inv) is off by ≤ 127 · 2⁻²³ steps (inv and the product each rounded once): 0.5 + 1.5e-5 steps.
            for (int p = 0; p < k; p++)
                Assert.That(Math.Abs(row[p] - (double)scale * q[p]), Is.LessThanOrEqualTo(scale * (0.5 + 2e-5)), $"trial {trial} p {p}");
            Assert.That(q[k], Is.EqualTo((sbyte)42), "wrote past the row");
        }
    }

    [Test]
    public void ShortOutputIsRejected()
    {
        Assert.That(() => ActivationQuantization.QuantizeRow(new float[3], new sbyte[2]),
            Throws.ArgumentException.With.Property("ParamName").EqualTo("quantized"));
    }
}
