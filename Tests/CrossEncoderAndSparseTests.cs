using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Engine.SentenceTransformers;
using F = BertSharp.Tests.SentenceTransformers.SentenceTransformersFixtures;

namespace BertSharp.Tests;

/// <summary>
/// CrossEncoder (cross_encoder/CrossEncoder.py) and SPLADE SparseEncoder (sparse_encoder/models/SpladePooling.py),
/// sentence-transformers 5.2.0.dev0, on tiny random checkpoints. Expected values come from the task models' own
/// logits (checked against golden data elsewhere) put through the formulas of those files in double precision.
/// </summary>
public class CrossEncoderAndSparseTests
{
    private const string Query = "who wrote the book?";
    private static readonly string[] Docs = ["the cat sat on the mat.", "a man wrote a book", "rain falls mainly on the plain", "paris is the capital of france", "music plays"];
    private string? _dir;

    [TearDown]
    public void Cleanup() { F.Delete(_dir); _dir = null; }

    /// <summary>Logits [docs][labels] of the pairs (Query, doc), tokenized as the cross-encoder does.</summary>
    private static float[][] Logits(BertForSequenceClassification model, IReadOnlyList<string> docs)
    {
        var tokenizer = model.Bert.Tokenizer!;
        var batch = BertBatch.FromEncodings(docs.Select(d => tokenizer.Encode(Query, d)).ToArray());
        var o = model.Run(batch);
        return Enumerable.Range(0, docs.Count).Select(i => o.Logits.AsSpan(i * model.NumLabels, model.NumLabels).ToArray()).ToArray();
    }

    [Test]
    public void OneLabelCrossEncoderScoresWithSigmoidByDefault()
    {
        _dir = F.Checkpoint("BertForSequenceClassification", numLabels: 1);
        var ce = CrossEncoder.Load(_dir);
        Assert.That((ce.NumLabels, ce.Activation, ce.MaxLength), Is.EqualTo((1, TorchActivation.Sigmoid, 64)));
        float[][] logits = Logits(ce.Model, Docs);
        float[] expected = logits.Select(l => (float)(1 / (1 + Math.Exp(-l[0])))).ToArray();
        Assert.That(ce.Score(Query, Docs), Is.EqualTo(expected).Within(1e-6f));
        Assert.That(ce.Score(Query, Docs, TorchActivation.Identity), Is.EqualTo(logits.Select(l => l[0]).ToArray()).Within(1e-6f), "raw logits");
        Assert.That(expected.Distinct().Count(), Is.EqualTo(Docs.Length), "the fixture separates the documents");
    }

    [Test]
    public void RerankSortsByScoreAndCutsAtTopK()
    {
        _dir = F.Checkpoint("BertForSequenceClassification", numLabels: 1);
        var ce = CrossEncoder.Load(_dir);
        float[] scores = ce.Score(Query, Docs);
        int[] order = Enumerable.Range(0, Docs.Length).OrderByDescending(i => scores[i]).ThenBy(i => i).ToArray();
        var all = ce.Rerank(Query, Docs);
        Assert.That(all.Select(r => r.Index), Is.EqualTo(order));
        Assert.That(all.Select(r => r.Text), Is.EqualTo(order.Select(i => Docs[i])));
        Assert.That(all.Select(r => r.Score), Is.EqualTo(order.Select(i => scores[i])));
        var top2 = ce.Rerank(Query, Docs, topK: 2);
        Assert.That(top2.Select(r => r.Index), Is.EqualTo(order.Take(2)));
        // Batching pairs changes nothing.
        var small = new CrossEncoder(ce.Model) { BatchSize = 2 };
        Assert.That(small.Rerank(Query, Docs).Select(r => r.Score), Is.EqualTo(all.Select(r => r.Score)).Within(1e-6f));
        Assert.That(() => ce.Rerank(Query, Docs, topK: 0), Throws.TypeOf<BertInputException>());
        Assert.That(ce.Rerank(Query, []), Is.Empty);
    }

    [Test]
    public void ConfiguredActivationFnIsHonoured()
    {
        _dir = F.Checkpoint("BertForSequenceClassification", numLabels: 1,
            extraConfig: ", \"sentence_transformers\": {\"activation_fn\": \"torch.nn.modules.linear.Identity\", \"version\": \"4.0.1\"}");
        var ce = CrossEncoder.Load(_dir);
        Assert.That(ce.Activation, Is.EqualTo(TorchActivation.Identity));
        Assert.That(ce.Score(Query, Docs), Is.EqualTo(Logits(ce.Model, Docs).Select(l => l[0]).ToArray()).Within(1e-6f));
        F.Delete(_dir);
        _dir = F.Checkpoint("BertForSequenceClassification", numLabels: 1,
            extraConfig: ", \"sbert_ce_default_activation_function\": \"torch.nn.modules.activation.Tanh\"");
        Assert.That(CrossEncoder.Load(_dir).Activation, Is.EqualTo(TorchActivation.Tanh), "pre-v4 key");
    }

    [Test]
    public void SeveralLabelsGiveIdentityOrSoftmaxAndCannotRerank()
    {
        _dir = F.Checkpoint("BertForSequenceClassification", numLabels: 3);
        var ce = CrossEncoder.Load(_dir);
        Assert.That(ce.Activation, Is.EqualTo(TorchActivation.Identity));
        float[][] logits = Logits(ce.Model, Docs);
        float[][] raw = ce.Predict(Docs.Select(d => (Query, d)).ToArray());
        float[][] soft = ce.Predict(Docs.Select(d => (Query, d)).ToArray(), applySoftmax: true);
        for (int i = 0; i < Docs.Length; i++)
        {
            Assert.That(raw[i], Is.EqualTo(logits[i]).Within(1e-6f));
            double z = logits[i].Sum(v => Math.Exp(v));
            Assert.That(soft[i], Is.EqualTo(logits[i].Select(v => (float)(Math.Exp(v) / z)).ToArray()).Within(1e-6f));
        }
        Assert.That(() => ce.Rerank(Query, Docs), Throws.TypeOf<BertInputException>().With.Message.Contains("one label").And.Message.Contains("3"));
    }

    [Test]
    public void PairsAreTruncatedLongestFirstToTheModelLength()
    {
        _dir = F.Checkpoint("BertForSequenceClassification", numLabels: 1);
        var ce = CrossEncoder.Load(_dir);
        string longDoc = string.Join(" ", Enumerable.Repeat("the river runs through it", 30));   // 150 tokens
        float s = ce.Score(Query, [longDoc])[0];
        var enc = ce.Model.Bert.Tokenizer!.Encode(Query, longDoc, new BertSharp.Tokenization.EncodeOptions { MaxLength = 64, Truncation = BertSharp.Tokenization.TruncationStrategy.LongestFirst });
        var o = ce.Model.Run(BertBatch.FromEncodings([enc]));
        Assert.That(s, Is.EqualTo((float)(1 / (1 + Math.Exp(-o.Logits[0])))).Within(1e-6f));
        Assert.That(() => ce.Rerank(Query, ["a dog", longDoc], truncate: false), Throws.TypeOf<BertInputException>()
            .With.Message.Contains("pair 1").And.Message.Contains("at most 64"));
        Assert.That(ce.Rerank(Query, ["a dog", "music plays"], truncate: false), Has.Count.EqualTo(2), "short pairs pass");
    }

    /// <summary>SpladePooling.forward in double: max (or sum) over positions of log1p(relu(logits · mask)).</summary>
    private static double[][] SpladeReference(BertForMaskedLM mlm, IReadOnlyList<string> texts, bool sum = false, bool twice = false)
    {
        var tokenizer = mlm.Bert.Tokenizer!;
        var batch = BertBatch.FromEncodings(texts.Select(t => tokenizer.Encode(t)).ToArray());
        MaskedLMOutput o = mlm.Run(batch);
        int v = mlm.Cls.VocabSize, t = batch.SequenceLength;
        var result = new double[texts.Count][];
        for (int b = 0; b < texts.Count; b++)
        {
            var pooled = new double[v];
            if (!sum) Array.Fill(pooled, double.NegativeInfinity);
            for (int p = 0; p < t; p++)
                for (int k = 0; k < v; k++)
                {
                    double w = Math.Log(1 + Math.Max(0, o.Logits[(b * t + p) * v + k] * batch.AttentionMask[b * t + p]));
                    if (twice) w = Math.Log(1 + w);
                    pooled[k] = sum ? pooled[k] + w : Math.Max(pooled[k], w);
                }
            result[b] = pooled;
        }
        return result;
    }

    [Test]
    public void SpladeVectorsMatchSpladePooling()
    {
        _dir = F.Checkpoint("BertForMaskedLM");
        var encoder = SparseEncoder.Load(_dir);
        Assert.That((encoder.Strategy, encoder.DoubleLog, encoder.Dimension), Is.EqualTo((SpladePoolingStrategy.Max, false, F.Vocab)));
        string[] texts = ["the cat sat on the mat.", "music plays loud at night", "?"];
        SparseVector[] sparse = encoder.Encode(texts);
        double[][] expected = SpladeReference(encoder.Model, texts);
        for (int i = 0; i < texts.Length; i++)
        {
            Assert.That(sparse[i].ToDense(), Is.EqualTo(expected[i].Select(x => (float)x).ToArray()).Within(1e-5f), $"text {i}");
            Assert.That(sparse[i].Values, Is.All.GreaterThan(0f), "only non-zero weights");
            Assert.That(sparse[i].Values, Is.Ordered.Descending);
            Assert.That(sparse[i].Count, Is.EqualTo(expected[i].Count(x => x > 0)));
            Assert.That(sparse[i].Count, Is.GreaterThan(3).And.LessThan(F.Vocab), "some vocabulary entries switched off by relu");
        }
        SparseVector[] top3 = encoder.Encode(texts, topK: 3);
        string longText = string.Join(" ", Enumerable.Repeat("the river runs through it", 20));
        Assert.That(encoder.Encode([longText])[0].Count, Is.GreaterThan(0), "truncated to 64 tokens by default");
        Assert.That(() => encoder.Encode(["a dog", longText], truncate: false), Throws.TypeOf<BertInputException>().With.Message.Contains("text 1"));
        Assert.That(top3[0].Indices, Is.EqualTo(sparse[0].Indices.Take(3)));
        double dot = expected[0].Zip(expected[1], (a, b) => a * b).Sum();
        Assert.That(SparseVector.Dot(sparse[0], sparse[1]), Is.EqualTo(dot).Within(1e-4));
        Assert.That(SparseVector.Dot(sparse[1], sparse[0]), Is.EqualTo(SparseVector.Dot(sparse[0], sparse[1])).Within(1e-6));
    }

    [Test]
    public void SpladePoolingConfigSumAndLog1pRelu()
    {
        _dir = F.Checkpoint("BertForMaskedLM");
        F.Modules(_dir, ("sentence_transformers.sparse_encoder.models.MLMTransformer", ""), ("sentence_transformers.sparse_encoder.models.SpladePooling", "1_SpladePooling"));
        F.Pooling(_dir, "1_SpladePooling", """{"pooling_strategy": "sum", "activation_function": "log1p_relu", "word_embedding_dimension": 60}""");
        var encoder = SparseEncoder.Load(_dir);
        Assert.That((encoder.Strategy, encoder.DoubleLog), Is.EqualTo((SpladePoolingStrategy.Sum, true)));
        string[] texts = ["a dog barks", "the big city"];
        double[][] expected = SpladeReference(encoder.Model, texts, sum: true, twice: true);
        SparseVector[] sparse = encoder.Encode(texts);
        for (int i = 0; i < texts.Length; i++)
            Assert.That(sparse[i].ToDense(), Is.EqualTo(expected[i].Select(x => (float)x).ToArray()).Within(1e-5f));
        // The same folder is not a dense sentence-transformers model.
        Assert.That(() => SentenceEmbedder.Load(_dir), Throws.TypeOf<BertSharp.Weights.ConfigException>().With.Message.Contains("SparseEncoder"));
        F.Pooling(_dir, "1_SpladePooling", """{"pooling_strategy": "mean"}""");
        Assert.That(() => SparseEncoder.Load(_dir), Throws.TypeOf<BertSharp.Weights.ConfigException>().With.Message.Contains("pooling_strategy 'mean'"));
    }
}
