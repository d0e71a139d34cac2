using System.Collections;
using BertSharp.Engine;
using BertSharp.Engine.Quantization;
using BertSharp.Extensions.AI;
using Microsoft.Extensions.AI;

using BertSharp.Tests.SentenceTransformers;

namespace BertSharp.Tests.Quantization;

/// <summary>
/// quantize_embeddings (sentence-transformers 5.2.0.dev0 quantization.py) bit for bit against a literal transcription
/// of its NumPy expressions on random vectors, including values outside the calibration range and d % 8 ≠ 0.
/// </summary>
public class EmbeddingQuantizationTests
{
    /// <summary>Random rows [n][d], N(0,1) scaled, with a few exact zeros (packbits: 0 is not &gt; 0).</summary>
    private static float[][] Random(int n, int d, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ =>
            rng.Next(20) == 0 ? 0f : SentenceTransformersFixtures.Normal(rng) * 0.3f).ToArray()).ToArray();
    }

    // The reference: NumPy's float32 expressions element by element; astype(int8/uint8) = C cast (truncation toward
    // zero), with BertSharp's documented clipping where C leaves it undefined.
    private static sbyte RefInt8(float e, float lo, float hi)
    {
        float steps = (hi - lo) / 255f;                 // steps = (ranges[1, :] - ranges[0, :]) / 255
        float x = (e - lo) / steps - 128f;              // (embeddings - starts) / steps - 128
        if (float.IsNaN(x)) return -128;
        double t = Math.Truncate((double)x);
        return (sbyte)Math.Max(-128, Math.Min(127, t));
    }

    private static byte RefUInt8(float e, float lo, float hi)
    {
        float steps = (hi - lo) / 255f;
        float x = (e - lo) / steps;
        if (float.IsNaN(x)) return 0;
        return (byte)Math.Max(0, Math.Min(255, Math.Truncate((double)x)));
    }

    /// <summary>np.packbits(row &gt; 0) for one row: bits as a '0'/'1' string, padded with '0' to whole bytes, big-endian.</summary>
    private static byte[] RefPackBits(float[] row)
    {
        string bits = string.Concat(row.Select(v => v > 0 ? '1' : '0'));
        bits = bits.PadRight((bits.Length + 7) / 8 * 8, '0');
        return Enumerable.Range(0, bits.Length / 8).Select(k => Convert.ToByte(bits.Substring(k * 8, 8), 2)).ToArray();
    }

    [TestCase(64)]
    [TestCase(384)]
    [TestCase(13)]
    public void MatchesTheReferenceBitForBit(int d)
    {
        float[][] calibration = Random(200, d, 1);
        float[][] queries = Random(50, d, 2);
        queries[0] = queries[0].Select(v => v * 5).ToArray();          // far outside the calibrated range: clipped
        var ranges = QuantizationRanges.Calibrate(calibration);
        for (int j = 0; j < d; j++)
        {
            Assert.That(ranges.Min[j], Is.EqualTo(calibration.Min(r => r[j])));
            Assert.That(ranges.Max[j], Is.EqualTo(calibration.Max(r => r[j])));
        }
        byte[][] int8 = EmbeddingQuantizer.Quantize(queries, EmbeddingPrecision.Int8, ranges);
        byte[][] uint8 = EmbeddingQuantizer.Quantize(queries, EmbeddingPrecision.UInt8, null, calibration);
        byte[][] binary = EmbeddingQuantizer.Quantize(queries, EmbeddingPrecision.Binary);
        byte[][] ubinary = EmbeddingQuantizer.Quantize(queries, EmbeddingPrecision.UBinary);
        bool clippedSomething = false;
        for (int r = 0; r < queries.Length; r++)
        {
            sbyte[] expected8 = Enumerable.Range(0, d).Select(j => RefInt8(queries[r][j], ranges.Min[j], ranges.Max[j])).ToArray();
            Assert.That(int8[r].Select(b => (sbyte)b), Is.EqualTo(expected8), $"int8 row {r}");
            Assert.That(uint8[r], Is.EqualTo(Enumerable.Range(0, d).Select(j => RefUInt8(queries[r][j], ranges.Min[j], ranges.Max[j]))), $"uint8 row {r}");
            byte[] packed = RefPackBits(queries[r]);
            Assert.That(ubinary[r], Is.EqualTo(packed), $"ubinary row {r}");
            Assert.That(binary[r].Select(b => (sbyte)b), Is.EqualTo(packed.Select(p => (sbyte)(p - 128))), $"binary row {r}");   // (packbits - 128).astype(int8)
            clippedSomething |= expected8.Contains((sbyte)127) || expected8.Contains((sbyte)-128);
        }
        Assert.That(clippedSomething, "the test reaches the ends of the int8 range");
        Assert.That(binary[0], Has.Length.EqualTo((d + 7) / 8));
    }

    [Test]
    public void KnownValues()
    {
        // packbits([1,0,0,0, 0,0,0,1, 1]) = [0b10000001, 0b10000000] = [129, 128]; binary = [1, 0].
        float[] v = [0.5f, -1, 0, -2, -3, -4, -5, 0.1f, 2];
        Assert.That(EmbeddingQuantizer.Quantize([v], EmbeddingPrecision.UBinary)[0], Is.EqualTo(new byte[] { 129, 128 }));
        Assert.That(EmbeddingQuantizer.Quantize([v], EmbeddingPrecision.Binary)[0].Select(b => (sbyte)b), Is.EqualTo(new sbyte[] { 1, 0 }));
        // min -1, max 1: steps = float32(2/255) = 0.007843137718737125 (a hair above 2/255); 0 → 127.49999 − 128 →
        // trunc → 0; the max 1 → 2/steps = 254.99998474121094 (float32) − 128 → trunc → 126, not 127 (so NumPy does
        // too: the top bucket is reached only by values above the calibrated max); −1 → −128.
        var ranges = new QuantizationRanges([-1, -1, -1], [1, 1, 1]);
        Assert.That(EmbeddingQuantizer.Quantize([[0f, 1f, -1f]], EmbeddingPrecision.Int8, ranges)[0].Select(b => (sbyte)b), Is.EqualTo(new sbyte[] { 0, 126, -128 }));
        Assert.That(EmbeddingQuantizer.Quantize([[0f, 1f, -1f]], EmbeddingPrecision.UInt8, ranges)[0], Is.EqualTo(new byte[] { 127, 254, 0 }));
        Assert.That(EmbeddingQuantizer.Hamming([0b1010_1010, 0xFF], [0b0101_0101, 0xFF]), Is.EqualTo(8));
        byte[] a = Enumerable.Range(0, 48).Select(i => (byte)(i * 37)).ToArray(), b = Enumerable.Range(0, 48).Select(i => (byte)(i * 11 + 3)).ToArray();
        Assert.That(EmbeddingQuantizer.Hamming(a, b), Is.EqualTo(a.Zip(b, (x, y) => System.Numerics.BitOperations.PopCount((uint)(x ^ y))).Sum()));
        var unpacked = new float[9];
        EmbeddingQuantizer.UnpackBits([129, 128], unpacked);
        Assert.That(unpacked, Is.EqualTo(new float[] { 1, 0, 0, 0, 0, 0, 0, 1, 1 }));
        float[] q = [1, 2, 3, 4, 5, 6, 7, 8, 9];
        Assert.That(EmbeddingQuantizer.RescoreDot(q, [129, 128], EmbeddingPrecision.UBinary), Is.EqualTo(1 + 8 + 9));
        Assert.That(EmbeddingQuantizer.RescoreDot(q, [1, 0], EmbeddingPrecision.Binary), Is.EqualTo(1 + 8 + 9), "binary = ubinary − 128: same bits");
        Assert.That(EmbeddingPrecisions.Parse("ubinary"), Is.EqualTo(EmbeddingPrecision.UBinary));
        Assert.That(() => EmbeddingPrecisions.Parse("int4"), Throws.ArgumentException.With.Message.Contains("int4"));
        Assert.That(() => EmbeddingQuantizer.Quantize([[1f]], EmbeddingPrecision.Int8, null, null)[0], Throws.Nothing, "int8 without ranges calibrates on the embeddings");
    }

    [Test]
    public void BinaryEmbeddingGeneratorGivesTheSignBits()
    {
        string model = SharedData.Require("models/all-MiniLM-L6-v2");
        var embedder = SentenceEmbedder.Load(model);
        using var generator = new BertBinaryEmbeddingGenerator(embedder, "minilm");
        string[] texts = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."];
        GeneratedEmbeddings<BinaryEmbedding> bits = generator.GenerateAsync(texts).GetAwaiter().GetResult();
        float[][] floats = embedder.Embed(texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.That(bits[i].Vector.Length, Is.EqualTo(384));
            for (int j = 0; j < 384; j++) Assert.That(bits[i].Vector[j], Is.EqualTo(floats[i][j] > 0));
            Assert.That(bits[i].ModelId, Is.EqualTo("minilm"));
        }
        Assert.That(BertBinaryEmbeddingGenerator.Hamming(bits[0], bits[1]), Is.LessThan(BertBinaryEmbeddingGenerator.Hamming(bits[0], bits[2])),
            "the paraphrase is nearer in Hamming distance");
        var cut = generator.GenerateAsync(texts, new EmbeddingGenerationOptions { Dimensions = 64 }).GetAwaiter().GetResult();
        Assert.That(cut[0].Vector.Length, Is.EqualTo(64));
        Assert.That(bits.Usage?.InputTokenCount, Is.GreaterThan(0));
    }
}
