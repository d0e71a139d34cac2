using BertSharp.Engine;
using BertSharp.Engine.Model;
using BertSharp.Engine.Model.Heads;
using BertSharp.Tests.Support;
using BertSharp.Weights;

namespace BertSharp.Tests.Model;

/// <summary>
/// The word-embedding table's storage (Engine/Model/EmbeddingTable.cs): int8 per row within half a step of fp32, f16
/// as the exact upcast of the rounded value, the vector gather equal to the reference, chunked loading equal to
/// converting the whole tensor, and which precision each load gets (fp32 models unchanged, int8 models int8,
/// tied masked-LM decoders fp32).
/// </summary>
public class EmbeddingTableTests
{
    /// <summary>[rows, width] with varied row magnitudes, a zero row, a one-outlier row and a row of equal values.</summary>
    private static float[] Rows(int rows, int width, int seed)
    {
        var rng = new Random(seed);
        var values = new float[rows * width];
        for (int r = 0; r < rows; r++)
        {
            float magnitude = MathF.Pow(10f, rng.Next(-4, 3));
            for (int c = 0; c < width; c++) values[r * width + c] = (float)(rng.NextDouble() * 2 - 1) * magnitude;
        }
        if (rows > 3)
        {
            values.AsSpan(0, width).Clear();
            values[width + 1] = 500f;
            values.AsSpan(2 * width, width).Fill(-0.25f);
        }
        return values;
    }

    [TestCase(7, 384)]
    [TestCase(5, 37)]
    [TestCase(4, 1)]
    public void Int8RowsRoundTripWithinHalfAStep(int rows, int width)
    {
        float[] values = Rows(rows, width, 11);
        var table = EmbeddingTable.Create(values, rows, width, EmbeddingTablePrecision.Int8);
        Assert.That(table.Precision, Is.EqualTo(EmbeddingTablePrecision.Int8));
        Assert.That(table.ByteSize, Is.EqualTo((long)rows * width + rows * 4L));
        var row = new float[width];
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> x = values.AsSpan(r * width, width);
            float max = 0f;
            foreach (float v in x) max = MathF.Max(max, MathF.Abs(v));
            table.CopyRow(r, row);
            float bound = max / 254f * (1f + 1e-5f);
            for (int c = 0; c < width; c++)
                Assert.That(MathF.Abs(row[c] - x[c]), Is.LessThanOrEqualTo(bound), $"row {r} col {c}: {x[c]} → {row[c]}");
            if (max > 0f) Assert.That(row.Max(MathF.Abs), Is.EqualTo(max).Within(max * 1e-6f), $"row {r}: the largest value survives");
        }
    }

    [Test]
    public void VectorDequantizationEqualsTheReference([Values(0, 1, 15, 16, 17, 31, 384, 1000)] int length)
    {
        var rng = new Random(length);
        var q = new sbyte[length];
        for (int i = 0; i < length; i++) q[i] = (sbyte)rng.Next(-127, 128);
        q.AsSpan(0, Math.Min(2, length)).Fill(-127);
        float scale = 0.0123f;
        float[] reference = new float[length], fast = new float[length];
        EmbeddingTable.DequantizeReference(q, scale, reference);
        EmbeddingTable.DequantizeRow(q, scale, fast);
        Assert.That(fast, Is.EqualTo(reference), "bit for bit");
        int vectorDone = EmbeddingTable.DequantizeVector256(q, scale, fast);
        Assert.That(vectorDone, Is.EqualTo(length / 16 * 16));
        Assert.That(fast, Is.EqualTo(reference));
    }

    [Test]
    public void QuantizedRowsGatherAsTheirDequantizedValues()
    {
        const int rows = 6, width = 40;
        float[] values = Rows(rows, width, 3);
        var table = EmbeddingTable.Create(values, rows, width, EmbeddingTablePrecision.Int8);
        var row = new float[width];
        var q = new sbyte[width];
        var expected = new float[width];
        for (int r = 0; r < rows; r++)
        {
            float scale = EmbeddingTable.QuantizeRow(values.AsSpan(r * width, width), q);
            EmbeddingTable.DequantizeReference(q, scale, expected);
            table.CopyRow(r, row);
            Assert.That(row, Is.EqualTo(expected), $"row {r}");
        }
    }

    [Test]
    public void Float16RowsAreTheRoundedValues()
    {
        const int rows = 5, width = 33;
        float[] values = Rows(rows, width, 5);
        var table = EmbeddingTable.Create(values, rows, width, EmbeddingTablePrecision.Float16);
        Assert.That(table.ByteSize, Is.EqualTo(rows * width * 2L));
        var row = new float[width];
        for (int r = 0; r < rows; r++)
        {
            table.CopyRow(r, row);
            for (int c = 0; c < width; c++) Assert.That(row[c], Is.EqualTo((float)(Half)values[r * width + c]), $"row {r} col {c}");
        }
    }

    [Test]
    public void Float32TableIsTheArrayItselfAndACompactOneRefusesToHandItOut()
    {
        float[] values = Rows(4, 8, 1);
        var fp32 = EmbeddingTable.FromFloat32(values, 4, 8);
        Assert.That(fp32.Float32, Is.SameAs(values));
        var row = new float[8];
        fp32.CopyRow(3, row);
        Assert.That(row, Is.EqualTo(values.AsSpan(24, 8).ToArray()));
        var scratch = new float[8];
        Assert.That(fp32.Row(3, scratch).Overlaps(values.AsSpan(24, 8)), Is.True, "an fp32 row is a view, not a copy");
        var int8 = EmbeddingTable.Create(values, 4, 8, EmbeddingTablePrecision.Int8);
        int8.CopyRow(2, row);
        Assert.That(int8.Row(2, scratch).Overlaps(scratch), Is.True, "a compact row is dequantized into the scratch");
        Assert.That(scratch, Is.EqualTo(row));
        Assert.Throws<ArgumentOutOfRangeException>(() => fp32.Row(4, scratch));
        var e = Assert.Throws<InvalidOperationException>(() => _ = int8.Float32)!;
        Assert.That(e.Message, Does.Contain("Int8").And.Contain("WordEmbeddingPrecision"));
        Assert.Throws<ArgumentOutOfRangeException>(() => int8.CopyRow(4, row));
        Assert.Throws<ArgumentException>(() => int8.CopyRow(0, new float[7]));
        Assert.Throws<ArgumentException>(() => EmbeddingTable.Create(values, 5, 8, EmbeddingTablePrecision.Int8));
    }

    /// <summary>The tiny checkpoints' tables have 8000 rows: chunks of 1024 and a short last one; F32, F16 and BF16 files.</summary>
    [TestCase("bert-base", EmbeddingTablePrecision.Int8)]
    [TestCase("bert-base", EmbeddingTablePrecision.Float16)]
    [TestCase("gelu-new-f16", EmbeddingTablePrecision.Int8)]
    [TestCase("bf16-sharded", EmbeddingTablePrecision.Int8)]
    public void LoadingInChunksEqualsConvertingTheWholeTensor(string model, EmbeddingTablePrecision precision)
    {
        using var checkpoint = Checkpoint.Open(SharedData.Require("golden/tiny/" + model));
        BertConfig c = checkpoint.Config;
        Assert.That(c.VocabSize % EmbeddingTable.ChunkRows, Is.Not.Zero, "the test needs a short last chunk");
        float[] all = checkpoint.ReadFloat32(BertParameterNames.WordEmbeddings, c.VocabSize, c.EmbeddingSize);
        var whole = EmbeddingTable.Create(all, c.VocabSize, c.EmbeddingSize, precision);
        var chunked = EmbeddingTable.Load(checkpoint, BertParameterNames.WordEmbeddings, c.VocabSize, c.EmbeddingSize, precision);
        float[] a = new float[c.EmbeddingSize], b = new float[c.EmbeddingSize];
        for (int r = 0; r < c.VocabSize; r++)
        {
            whole.CopyRow(r, a);
            chunked.CopyRow(r, b);
            if (!a.AsSpan().SequenceEqual(b)) Assert.Fail($"row {r} differs");
        }
    }

    [Test]
    public void EachLoadGetsTheTablePrecisionItAskedFor()
    {
        string dir = SharedData.Require("golden/tiny/bert-base");
        using var checkpoint = Checkpoint.Open(dir);
        float[] stored = checkpoint.ReadFloat32(BertParameterNames.WordEmbeddings, checkpoint.Config.VocabSize, checkpoint.Config.EmbeddingSize);

        BertModel fp32 = BertModel.Load(dir);
        Assert.That(fp32.Embeddings.WordEmbeddingTable.Precision, Is.EqualTo(EmbeddingTablePrecision.Float32));
        Assert.That(fp32.Embeddings.WordEmbeddings, Is.EqualTo(stored), "fp32 models keep the checkpoint's values");

        BertModel int8 = BertModel.Load(dir, new LoadOptions { Quantization = WeightQuantization.Int8 });
        Assert.That(int8.Embeddings.WordEmbeddingTable.Precision, Is.EqualTo(EmbeddingTablePrecision.Int8));
        Assert.Throws<InvalidOperationException>(() => _ = int8.Embeddings.WordEmbeddings);

        BertModel kept = BertModel.Load(dir, new LoadOptions { Quantization = WeightQuantization.Int8, WordEmbeddingPrecision = EmbeddingTablePrecision.Float32 });
        Assert.That(kept.Embeddings.WordEmbeddings, Is.EqualTo(stored));
        BertModel half = BertModel.Load(dir, new LoadOptions { WordEmbeddingPrecision = EmbeddingTablePrecision.Float16 });
        Assert.That(half.Embeddings.WordEmbeddingTable.Precision, Is.EqualTo(EmbeddingTablePrecision.Float16));
        Assert.That(half.Quantization, Is.EqualTo(WeightQuantization.None));
    }

    [Test]
    public void AnInt8MaskedLmKeepsItsTiedTableFp32()
    {
        string dir = SharedData.Require("golden/tiny/masked-lm");
        var int8 = BertForMaskedLM.Load(dir, new LoadOptions { Quantization = WeightQuantization.Int8 });
        Assert.That(int8.Bert.Quantization, Is.EqualTo(WeightQuantization.Int8));
        Assert.That(int8.Bert.Embeddings.WordEmbeddingTable.Precision, Is.EqualTo(EmbeddingTablePrecision.Float32), "the decoder shares it");
        var e = Assert.Throws<InvalidOperationException>(() => BertForMaskedLM.Load(dir,
            new LoadOptions { Quantization = WeightQuantization.Int8, WordEmbeddingPrecision = EmbeddingTablePrecision.Int8 }))!;
        Assert.That(e.Message, Does.Contain("not fp32"));

        // With tie_word_embeddings false the decoder has its own weight and the table may be compact.
        string tmp = Path.Combine(Path.GetTempPath(), "bertsharp-untied-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(tmp);
        try
        {
            string source = SharedData.Require("golden/tiny/masked-lm-untied");
            File.Copy(Path.Combine(source, "model.safetensors"), Path.Combine(tmp, "model.safetensors"));
            File.WriteAllText(Path.Combine(tmp, "config.json"),
                File.ReadAllText(Path.Combine(source, "config.json")).Replace("\"vocab_size\"", "\"tie_word_embeddings\": false,\n  \"vocab_size\""));
            var compact = BertForMaskedLM.Load(tmp, new LoadOptions { Quantization = WeightQuantization.Int8 });
            Assert.That(compact.Cls.DecoderTied, Is.False);
            Assert.That(compact.Bert.Embeddings.WordEmbeddingTable.Precision, Is.EqualTo(EmbeddingTablePrecision.Int8));
        }
        finally { Directory.Delete(tmp, true); }
    }

    [Test]
    public void ARowSliceOfATensorIsReadWithItsShapeChecked()
    {
        using var checkpoint = Checkpoint.Open(SharedData.Require("golden/tiny/bert-base"));
        BertConfig c = checkpoint.Config;
        int v = c.VocabSize, w = c.EmbeddingSize;
        float[] all = checkpoint.ReadFloat32(BertParameterNames.WordEmbeddings, v, w);
        var slice = new float[3 * w];
        checkpoint.ReadFloat32Rows(BertParameterNames.WordEmbeddings, v - 3, slice, v, w);
        Assert.That(slice, Is.EqualTo(all.AsSpan((v - 3) * w, 3 * w).ToArray()));
        Assert.Throws<ArgumentException>(() => checkpoint.ReadFloat32Rows(BertParameterNames.WordEmbeddings, v - 2, slice, v, w));
        Assert.Throws<CheckpointException>(() => checkpoint.ReadFloat32Rows(BertParameterNames.WordEmbeddings, 0, slice, v + 1, w));
    }
}
