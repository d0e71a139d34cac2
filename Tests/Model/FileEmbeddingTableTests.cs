using BertSharp.Engine;
using BertSharp.Engine.Model;
using BertSharp.Tests.Support;
using BertSharp.Weights;

namespace BertSharp.Tests.Model;

/// <summary>
/// The word-embedding table left in the checkpoint file (<see cref="EmbeddingTablePrecision.File"/>,
/// <see cref="TensorRowReader"/>): rows equal the loaded tensor for F32, F16 and BF16 files, a model gives exactly the
/// outputs of the fp32 table, and a file changed, truncated or poisoned after the load is a CheckpointException naming
/// it — never a crash or a different vector.
/// </summary>
public class FileEmbeddingTableTests
{
    /// <summary>F32, F16 and BF16 (sharded) tiny checkpoints.</summary>
    [TestCase("bert-base")]
    [TestCase("gelu-new-f16")]
    [TestCase("bf16-sharded")]
    public void RowsReadFromTheFileEqualTheLoadedTensor(string model)
    {
        using var checkpoint = Checkpoint.Open(SharedData.Require("golden/tiny/" + model));
        BertConfig c = checkpoint.Config;
        float[] all = checkpoint.ReadFloat32(BertParameterNames.WordEmbeddings, c.VocabSize, c.EmbeddingSize);
        var table = EmbeddingTable.Load(checkpoint, BertParameterNames.WordEmbeddings, c.VocabSize, c.EmbeddingSize, EmbeddingTablePrecision.File);
        Assert.That(table.Precision, Is.EqualTo(EmbeddingTablePrecision.File));
        Assert.That(table.ByteSize, Is.Zero, "nothing held in memory");
        Assert.Throws<InvalidOperationException>(() => _ = table.Float32);
        var row = new float[c.EmbeddingSize];
        foreach (int r in new[] { 0, 1, c.VocabSize / 2, c.VocabSize - 1 })
        {
            Assert.That(table.Row(r, row).ToArray(), Is.EqualTo(all.AsSpan(r * c.EmbeddingSize, c.EmbeddingSize).ToArray()), $"row {r}");
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => table.CopyRow(c.VocabSize, row));
        Assert.Throws<ArgumentException>(() => table.CopyRow(0, new float[c.EmbeddingSize - 1]));
    }

    [Test]
    public void AModelReadingItsTableFromTheFileGivesTheFp32Outputs([Values] bool int8Layers)
    {
        using var tiny = new TinyBertFolder();
        var layers = int8Layers ? WeightQuantization.Int8 : WeightQuantization.None;
        BertModel inMemory = BertModel.Load(tiny.Directory, new LoadOptions { Quantization = layers, WordEmbeddingPrecision = EmbeddingTablePrecision.Float32 });
        BertModel fromFile = BertModel.Load(tiny.Directory, new LoadOptions { Quantization = layers, WordEmbeddingPrecision = EmbeddingTablePrecision.File });
        Assert.That(fromFile.Embeddings.WordEmbeddingTable.Precision, Is.EqualTo(EmbeddingTablePrecision.File));
        BertBatch batch = BertBatch.FromRows(tiny.RandomRows(new Random(5), 9, 4, 17));
        Assert.That(fromFile.Run(batch).LastHiddenState, Is.EqualTo(inMemory.Run(batch).LastHiddenState), "bit for bit");

        // Shared between threads like any model: positional reads share no file offset.
        float[] expected = inMemory.Run(batch).LastHiddenState;
        Parallel.For(0, 8, _ => Assert.That(fromFile.Run(batch).LastHiddenState, Is.EqualTo(expected)));
    }

    [Test]
    public void AFileRewrittenAfterTheLoadIsAnError()
    {
        using var tiny = new TinyBertFolder();
        string file = Path.Combine(tiny.Directory, Checkpoint.SingleFileName);
        BertModel model = BertModel.Load(tiny.Directory, new LoadOptions { WordEmbeddingPrecision = EmbeddingTablePrecision.File });
        BertBatch batch = BertBatch.FromRows(tiny.RandomRows(new Random(1), 6));
        model.Run(batch);

        // Same size, other bytes (as `cp other.safetensors model.safetensors` would leave it), a later modification time.
        DateTime written = File.GetLastWriteTimeUtc(file);
        byte[] bytes = File.ReadAllBytes(file);
        bytes[^1] ^= 0x55;
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write)) stream.Write(bytes);
        File.SetLastWriteTimeUtc(file, written.AddSeconds(5));
        var e = Assert.Throws<CheckpointException>(() => model.Run(batch))!;
        Assert.That(e.Message, Does.Contain(file).And.Contain("changed after the model was loaded").And.Contain("word_embeddings"));
    }

    [Test]
    public void AFileRenamedOverThePathAfterTheCheckpointOpenedIsNotRead()
    {
        using var tiny = new TinyBertFolder();
        string file = Path.Combine(tiny.Directory, Checkpoint.SingleFileName);
        using var checkpoint = Checkpoint.Open(tiny.Directory);
        BertConfig c = checkpoint.Config;
        float[] loaded = checkpoint.ReadFloat32(BertParameterNames.WordEmbeddings, c.VocabSize, c.EmbeddingSize);

        // Another file of the same size replaces the path (a download or sync finishing) before the table is opened.
        byte[] bytes = File.ReadAllBytes(file);
        long start = 8 + BitConverter.ToInt64(bytes, 0) + checkpoint.GetInfo(BertParameterNames.WordEmbeddings).DataStart;
        BitConverter.GetBytes(123f).CopyTo(bytes, start);
        string other = file + ".new";
        File.WriteAllBytes(other, bytes);
        File.Move(other, file, overwrite: true);

        var table = EmbeddingTable.Load(checkpoint, BertParameterNames.WordEmbeddings, c.VocabSize, c.EmbeddingSize, EmbeddingTablePrecision.File);
        var row = new float[c.EmbeddingSize];
        table.CopyRow(0, row);
        Assert.That(row, Is.EqualTo(loaded.AsSpan(0, c.EmbeddingSize).ToArray()), "the rows of the file that was validated");
        table.EnsureSourceUnchanged();
    }

    [Test]
    public void ATruncatedFileIsAnErrorNotACrash()
    {
        using var tiny = new TinyBertFolder();
        string file = Path.Combine(tiny.Directory, Checkpoint.SingleFileName);
        BertModel model = BertModel.Load(tiny.Directory, new LoadOptions { WordEmbeddingPrecision = EmbeddingTablePrecision.File });
        long tableStart, tableBytes;
        using (var st = SafeTensorsFile.Open(file))
        {
            TensorInfo t = st.GetTensor(BertParameterNames.WordEmbeddings);
            tableStart = 8 + BitConverter.ToInt64(File.ReadAllBytes(file), 0) + t.DataStart;
            tableBytes = t.ByteLength;
        }
        using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write)) stream.SetLength(tableStart + tableBytes / 2);
        BertBatch batch = BertBatch.FromRows(tiny.RandomRows(new Random(2), 6));
        var e = Assert.Throws<CheckpointException>(() => model.Run(batch))!;
        Assert.That(e.Message, Does.Contain(file).And.Contain("changed after the model was loaded"));

        // A row read past the new end (no batch check before it) is the same error, not a SIGBUS or zeros.
        var row = new float[tiny.Config.HiddenSize];
        var r = Assert.Throws<CheckpointException>(() => model.Embeddings.WordEmbeddingTable.CopyRow(tiny.VocabSize - 1, row))!;
        Assert.That(r.Message, Does.Contain("ends past the end of the file"));
    }

    [Test]
    public void ANonFiniteTableIsRefusedAtLoadAsInMemory()
    {
        using var tiny = new TinyBertFolder();
        string file = Path.Combine(tiny.Directory, Checkpoint.SingleFileName);
        byte[] bytes = File.ReadAllBytes(file);
        long offset;
        using (var st = SafeTensorsFile.Open(file))
        {
            TensorInfo t = st.GetTensor(BertParameterNames.WordEmbeddings);   // the last value of the table (F32)
            offset = 8 + BitConverter.ToInt64(bytes, 0) + t.DataStart + (t.ElementCount - 1) * 4;
        }
        BitConverter.GetBytes(float.NaN).CopyTo(bytes, offset);
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<CheckpointException>(() => BertModel.Load(tiny.Directory, new LoadOptions { WordEmbeddingPrecision = EmbeddingTablePrecision.File }))!;
        Assert.That(e.Message, Does.Contain("word_embeddings").And.Contain("NaN"));
    }
}
