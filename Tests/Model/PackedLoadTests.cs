using BertSharp.Engine;
using BertSharp.Engine.Model;
using BertSharp.Tests.Support;
using BertSharp.Weights;

namespace BertSharp.Tests.Model;

/// <summary>
/// fp32 linear weights go from the checkpoint straight into their packed panels a block of rows at a time
/// (LinearLoader.ReadPacked): every value lands where the tensor has it, across stacked tensors (Q, K, V) and block
/// boundaries, and the load never holds a whole unpacked weight (the memory the fp32 goal counts).
/// </summary>
public class PackedLoadTests
{
    // hidden 40: Q, K, V stacked = 120 rows, panels of 32 straddle the tensors; intermediate 1100: the FFN down
    // projection [40, 1100] and up [1100, 40] read in several blocks with a remainder.
    [TestCase(40, 5, 72)]
    [TestCase(256, 4, 1100)]
    public void EveryWeightIsThePackedTensor(int hidden, int heads, int intermediate)
    {
        using var folder = new TinyBertFolder(hidden: hidden, heads: heads, intermediate: intermediate);
        using var checkpoint = Checkpoint.Open(folder.Directory);
        BertModel model = BertModel.Load(checkpoint);
        for (int l = 0; l < model.Encoder.Layers.Count; l++)
        {
            BertLayer layer = model.Encoder.Layers[l];
            string prefix = $"encoder.layer.{l}.";
            string[] qkv = [prefix + "attention.self.query.weight", prefix + "attention.self.key.weight", prefix + "attention.self.value.weight"];
            for (int i = 0; i < 3; i++)
                AssertSame(checkpoint, qkv[i], layer.SelfAttention.QueryKeyValue, i * hidden, hidden, hidden);
            AssertSame(checkpoint, prefix + "attention.output.dense.weight", layer.AttentionOutput, 0, hidden, hidden);
            AssertSame(checkpoint, prefix + "intermediate.dense.weight", layer.Intermediate, 0, intermediate, hidden);
            AssertSame(checkpoint, prefix + "output.dense.weight", layer.Output, 0, hidden, intermediate);
        }
        Assert.That(model.Pooler, Is.Not.Null);
        AssertSame(checkpoint, BertParameterNames.PoolerDenseWeight, model.Pooler!.Dense, 0, hidden, hidden);
        // Blocks of at most 2¹⁶ floats (or one row when a row is longer), never the whole weight.
        Assert.That(checkpoint.LargestBufferRented, Is.LessThanOrEqualTo(Math.Max(1 << 16, intermediate)));
        if (intermediate * hidden > 1 << 16)
            Assert.That(checkpoint.LargestBufferRented, Is.LessThan(intermediate * hidden));
    }

    private static void AssertSame(Checkpoint checkpoint, string name, Linear linear, int firstRow, int rows, int columns)
    {
        float[] want = checkpoint.ReadFloat32(name, rows, columns);
        for (int j = 0; j < rows; j++)
            for (int p = 0; p < columns; p++)
                if (linear.Weight[firstRow + j, p] != want[j * columns + p])
                    Assert.Fail($"{name}[{j},{p}] = {want[j * columns + p]} but the packed weight holds {linear.Weight[firstRow + j, p]}");
    }

    [Test]
    public void MiniLmFloat32LoadHoldsNoWholeUnpackedWeight()
    {
        using var checkpoint = Checkpoint.Open(SharedData.Require("models/all-MiniLM-L6-v2"));
        BertModel.Load(checkpoint);
        // The largest MiniLM weight is [1536, 384] = 589,824 floats; the load's only scratch is one 2¹⁶-float block.
        Assert.That(checkpoint.LargestBufferRented, Is.LessThanOrEqualTo(1 << 16));
    }
}
