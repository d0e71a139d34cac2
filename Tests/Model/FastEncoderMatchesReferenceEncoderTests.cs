using BertSharp.Engine;
using BertSharp.Engine.Kernels;
using BertSharp.Engine.Model.Reference;
using BertSharp.Tests.Support;

namespace BertSharp.Tests.Model;

/// <summary>
/// The fast engine (packed GEMMs, fused epilogues, blocked attention, threads) against the reference encoder (plain
/// loops, weights read independently) on tiny random checkpoints made here — no shared data needed — on every SIMD
/// path this CPU offers, 1 and 2 threads, a padded batch with rows of 1, 7, 33 and 90 tokens and a masked key inside a
/// row. Every hidden state, every attention probability and the pooler must agree to 1e-5.
/// </summary>
[NonParallelizable]   // forces a process-wide kernel path
public class FastEncoderMatchesReferenceEncoderTests
{
    private const float Tolerance = 1e-5f;

    /// <summary>(hidden, heads, intermediate, hidden_act): d = 8 with awkward widths; d = 16 (the 16×16 transpose path); ReLU.</summary>
    private static readonly (int Hidden, int Heads, int Intermediate, string Act)[] Shapes =
        [(40, 5, 72, "gelu"), (64, 4, 96, "gelu_new"), (48, 3, 100, "relu")];

    private static readonly Dictionary<int, (TinyBertFolder Folder, BertModel Fast, ReferenceBertModel Reference)> s_models = new();

    [OneTimeSetUp]
    public void Load()
    {
        for (int i = 0; i < Shapes.Length; i++)
        {
            var (hidden, heads, inter, act) = Shapes[i];
            var folder = new TinyBertFolder(hidden, heads, layers: 2, inter, maxPositions: 96, act, seed: 10 + i);
            s_models[i] = (folder, BertModel.Load(folder.Directory), ReferenceBertModel.Load(folder.Directory));
        }
    }

    [OneTimeTearDown]
    public void Cleanup()
    {
        foreach (var m in s_models.Values) m.Folder.Dispose();
        s_models.Clear();
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (GemmPath path in new[] { GemmPath.Vector512, GemmPath.Vector256, GemmPath.Portable })
            for (int shape = 0; shape < Shapes.Length; shape++)
                foreach (int threads in new[] { 1, 2 })
                    yield return new TestCaseData(path, shape, threads)
                        .SetName($"FastEncoderMatchesReferenceEncoder({path}, hidden {Shapes[shape].Hidden} heads {Shapes[shape].Heads} {Shapes[shape].Act}, {threads} thread(s))");
    }

    private static BertBatch PaddedBatch(TinyBertFolder folder)
    {
        int[][] rows = folder.RandomRows(new Random(3), 1, 7, 33, 90);
        BertBatch batch = BertBatch.FromRows(rows);
        batch.AttentionMask[2 * batch.SequenceLength + 5] = 0;   // a masked key inside row 2
        for (int t = 20; t < 33; t++) batch.TokenTypeIds[2 * batch.SequenceLength + t] = 1;
        return batch;
    }

    [TestCaseSource(nameof(Cases))]
    public void FastEncoderMatchesReferenceEncoder(GemmPath path, int shape, int threads)
    {
        if (!Gemm.IsSupported(path)) Assert.Ignore($"GemmPath.{path} is not supported on this CPU (skipped, not failed)");
        var (folder, fast, reference) = s_models[shape];
        BertBatch batch = PaddedBatch(folder);
        ModelOutput expected = reference.Run(batch, outputHiddenStates: true, outputAttentions: true);
        ModelOutput actual;
        using (KernelPathOverride.Force(path))
            actual = fast.Run(batch, new RunOptions { OutputHiddenStates = true, OutputAttentions = true, MaxThreads = threads });

        for (int l = 0; l < expected.HiddenStates!.Count; l++)
            AssertClose(actual.HiddenStates![l], expected.HiddenStates[l], $"hidden_states.{l}");
        for (int l = 0; l < expected.Attentions!.Count; l++)
            AssertClose(actual.Attentions![l], expected.Attentions[l], $"attentions.{l}");
        AssertClose(actual.LastHiddenState, expected.LastHiddenState, "last_hidden_state");
        AssertClose(actual.PoolerOutput!, expected.PoolerOutput!, "pooler_output");
    }

    [Test]
    public void ResultsAreBitIdenticalForOneAndTwoThreads()
    {
        var (folder, fast, _) = s_models[0];
        BertBatch batch = PaddedBatch(folder);
        ModelOutput one = fast.Run(batch, new RunOptions { MaxThreads = 1 });
        ModelOutput two = fast.Run(batch, new RunOptions { MaxThreads = 2 });
        Assert.That(two.LastHiddenState, Is.EqualTo(one.LastHiddenState));
        Assert.That(two.PoolerOutput, Is.EqualTo(one.PoolerOutput));
    }

    private static void AssertClose(float[] actual, float[] expected, string name)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), name);
        float max = 0; int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = Math.Abs(actual[i] - expected[i]);
            if (!(d <= max)) { max = d; at = i; }   // NaN counts as the largest difference
        }
        TestContext.Out.WriteLine($"{name}: max |fast − reference| = {max:G3}");
        Assert.That(max, Is.LessThanOrEqualTo(Tolerance), $"{name}: max |fast − reference| = {max:G3} at element {at}");
    }
}
