using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>PackedWeightWriter (rows appended in blocks) gives exactly PackedWeight.Pack's panels; misuse is a clear error.</summary>
public class PackedWeightWriterTests
{
    private static readonly (int N, int K)[] Shapes =
        [(1, 1), (1, 7), (7, 1), (33, 7), (32, 33), (64, 5), (40, 384), (120, 40), (384, 33), (7, 3072), (1536, 3)];

    private static float[] Random(Random rng, int length)
    {
        var a = new float[length];
        for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    [TestCaseSource(nameof(Shapes))]
    public void BlocksOfAnySizeGiveThePackedPanels((int N, int K) shape)
    {
        var (n, k) = shape;
        var rng = new Random(n * 7919 + k);
        float[] w = Random(rng, n * k);
        PackedWeight want = PackedWeight.Pack(w, n, k);
        foreach (int maxBlock in new[] { 1, 3, 32, n })
        {
            var writer = new PackedWeightWriter(n, k);
            for (int row = 0; row < n;)
            {
                int count = Math.Min(n - row, 1 + rng.Next(maxBlock));
                writer.Append(w.AsSpan(row * k, count * k));
                row += count;
                Assert.That(writer.RowsWritten, Is.EqualTo(row));
            }
            PackedWeight got = writer.Complete();
            Assert.That(got.N, Is.EqualTo(n)); Assert.That(got.K, Is.EqualTo(k)); Assert.That(got.PanelCount, Is.EqualTo(want.PanelCount));
            Assert.That(got.Packed.SequenceEqual(want.Packed), Is.True, $"[{n},{k}] in blocks of up to {maxBlock} rows");
        }
    }

    [TestCaseSource(nameof(Shapes))]
    public void EveryValueIsAtItsPlaceAndPaddingIsZero((int N, int K) shape)
    {
        var (n, k) = shape;
        float[] w = Random(new Random(n + 31 * k), n * k);
        PackedWeight packed = PackedWeight.Pack(w, n, k);
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p++)
                if (packed[j, p] != w[j * k + p]) Assert.Fail($"w[{j},{p}] = {w[j * k + p]} but the panel holds {packed[j, p]}");
        // Columns n .. 32·panels of the last panel are zero, whatever the uninitialized array held.
        int padded = packed.PanelCount * PackedWeight.PanelWidth;
        ReadOnlySpan<float> all = packed.Packed;
        for (int j = n; j < padded; j++)
        {
            int panel = j / PackedWeight.PanelWidth, sub = j % PackedWeight.PanelWidth / PackedWeight.SubPanelWidth;
            for (int p = 0; p < k; p++)
                Assert.That(all[(panel * 2 + sub) * PackedWeight.SubPanelWidth * k + p * PackedWeight.SubPanelWidth + j % PackedWeight.SubPanelWidth],
                    Is.EqualTo(0f), $"padding column {j}, k step {p}");
        }
    }

    [Test]
    public void MisuseIsAClearError()
    {
        var writer = new PackedWeightWriter(3, 4);
        Assert.That(() => writer.Append(new float[5]), Throws.ArgumentException.With.Message.Contains("not a whole number of rows of 4"));
        writer.Append(new float[8]);
        Assert.That(() => writer.Append(new float[8]), Throws.ArgumentException.With.Message.Contains("exceed the weight's 3 rows"));
        Assert.That(() => writer.Complete(), Throws.InvalidOperationException.With.Message.Contains("only 2 of the weight's 3 rows"));
        writer.Append(new float[4]);
        writer.Complete();
        Assert.That(() => writer.Complete(), Throws.InvalidOperationException.With.Message.Contains("already complete"));
        Assert.That(() => writer.Append(new float[4]), Throws.InvalidOperationException.With.Message.Contains("already complete"));
        Assert.That(() => new PackedWeightWriter(0, 4), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => new PackedWeightWriter(4, 0), Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
