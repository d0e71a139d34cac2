using BertSharp.Engine;
using BertSharp.Engine.Model.Heads;
using BertSharp.Weights;

namespace BertSharp.Tests.Model;

/// <summary>
/// How config.json model_type picks a family and what each family refuses by name: DistilBERT's own field names and
/// fixed LayerNorm eps, ELECTRA's embedding_size, MPNet's buckets, RoBERTa-style positions (max tokens = positions −
/// padding_idx − 1), heads the families do not have, the legacy embeddings.position_ids buffer.
/// </summary>
public class FamilyLoadingTests
{
    private static BertConfig Parse(string json) => BertConfig.Parse(json, "/m/config.json");

    [Test]
    public void DistilBertConfigUsesItsOwnFieldNamesAndFixedEps()
    {
        BertConfig c = Parse("""{"model_type":"distilbert","dim":32,"n_heads":4,"n_layers":2,"hidden_dim":64,"activation":"relu","layer_norm_eps":1e-5,"vocab_size":100,"max_position_embeddings":40}""");
        Assert.That((c.Encoder, c.HiddenSize, c.NumAttentionHeads, c.NumHiddenLayers, c.IntermediateSize, c.HiddenAct),
            Is.EqualTo((EncoderArchitecture.DistilBert, 32, 4, 2, 64, HiddenActivation.Relu)));
        Assert.That(c.LayerNormEps, Is.EqualTo(1e-12f), "DistilBERT's LayerNorms use eps 1e-12 whatever config.json says");
        Assert.That((c.TypeVocabSize, c.MaxTokens, c.PositionPaddingIdx), Is.EqualTo((0, 40, -1)));
    }

    [Test]
    public void RobertaStylePositionsCostTwoPositions()
    {
        BertConfig r = Parse("""{"model_type":"xlm-roberta","max_position_embeddings":514,"pad_token_id":1}""");
        Assert.That((r.Encoder, r.PositionPaddingIdx, r.MaxTokens), Is.EqualTo((EncoderArchitecture.XlmRoberta, 1, 512)));
        BertConfig m = Parse("""{"model_type":"mpnet","max_position_embeddings":514,"pad_token_id":0}""");
        Assert.That((m.PositionPaddingIdx, m.MaxTokens, m.RelativeAttentionNumBuckets), Is.EqualTo((1, 512, 32)), "MPNet fixes padding_idx at 1");
        BertConfig b = Parse("""{"model_type":"bert","max_position_embeddings":512}""");
        Assert.That(b.MaxTokens, Is.EqualTo(512));
        BertConfig e = Parse("""{"model_type":"electra","embedding_size":16,"hidden_size":32,"num_attention_heads":4}""");
        Assert.That((e.EmbeddingSize, e.HiddenSize, e.LayerNormEps), Is.EqualTo((16, 32, 1e-12f)));
    }

    [TestCase("""{"model_type":"distilbert","dim":10,"n_heads":3}""", "dim 10 is not a multiple of n_heads 3")]
    [TestCase("""{"model_type":"distilbert","activation":"swish"}""", "activation \"swish\" is not supported")]
    [TestCase("""{"model_type":"distilbert","n_layers":0}""", "n_layers must be a positive integer")]
    [TestCase("""{"model_type":"distilbert","dim":32.0}""", "\"dim\" must be an integer")]
    [TestCase("""{"model_type":"mpnet","relative_attention_num_buckets":16}""", "relative_attention_num_buckets 16 is below the 32 buckets MPNetModel's encoder always uses")]
    [TestCase("""{"model_type":"roberta","pad_token_id":null}""", "field \"pad_token_id\" is null: RobertaModel counts position ids from the padding index")]
    [TestCase("""{"model_type":"roberta","max_position_embeddings":2,"pad_token_id":1}""", "max_position_embeddings 2 leaves no position for a token")]
    [TestCase("""{"model_type":"electra","embedding_size":0}""", "embedding_size must be a positive integer")]
    [TestCase("""{"model_type":"roberta","position_embedding_type":"relative_key"}""", "position_embedding_type \"relative_key\" is not supported")]
    [TestCase("""{"model_type":"deberta-v2"}""", "model_type \"deberta-v2\" is not supported (expected one of bert, roberta, xlm-roberta, camembert, distilbert, electra, mpnet)")]
    public void UnrunnableFamilyConfigsAreRejectedByName(string json, string fragment)
    {
        var e = Assert.Throws<ConfigException>(() => Parse(json))!;
        Assert.That(e.Message, Does.StartWith("/m/config.json: ").And.Contain(fragment));
    }

    /// <summary>A copy of a families fixture's config.json (edited) and weights (plus extra tensors), no tokenizer.</summary>
    private static string Copy(string model, Func<string, string>? editConfig = null, Action<SafeTensorsWriter>? extra = null)
    {
        string src = SharedData.Require("golden/families/models/" + model);
        string dir = Path.Combine(Path.GetTempPath(), "bertsharp-family-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string config = File.ReadAllText(Path.Combine(src, "config.json"));
        File.WriteAllText(Path.Combine(dir, "config.json"), editConfig is null ? config : editConfig(config));
        if (extra is null) File.Copy(Path.Combine(src, "model.safetensors"), Path.Combine(dir, "model.safetensors"));
        else
        {
            var w = new SafeTensorsWriter();
            using (var f = SafeTensorsFile.Open(Path.Combine(src, "model.safetensors")))
                foreach (TensorInfo t in f.Tensors) w.AddRaw(t.Name, t.DType, t.Shape, f.GetBytes(t));
            extra(w);
            w.Save(Path.Combine(dir, "model.safetensors"));
        }
        return dir;
    }

    [Test]
    public void LegacyPositionIdsBufferIsIgnored()
    {
        long[] ids = Enumerable.Range(0, 130).Select(i => (long)i).ToArray();
        string dir = Copy("roberta-seq-cls", extra: w => w.Add("roberta.embeddings.position_ids", ids, 1, 130));
        try
        {
            var model = BertForSequenceClassification.Load(dir);
            Assert.That(model.Architecture, Is.EqualTo("RobertaForSequenceClassification"));
            Assert.That(model.UnexpectedTensors, Is.Empty, "the legacy buffer is neither used nor unexpected");
            Assert.That(model.Bert.Pooler, Is.Null, "RobertaForSequenceClassification has no pooler");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void HeadsTheFamiliesDoNotHaveAreRefusedByName()
    {
        string dir = Copy("roberta-seq-cls", c => c.Replace("RobertaForSequenceClassification", "RobertaForMaskedLM"));
        try
        {
            var e = Assert.Throws<ConfigException>(() => BertHeads.Load(dir))!;
            Assert.That(e.Message, Does.Contain("architectures[0] \"RobertaForMaskedLM\" is not supported for model_type \"roberta\"")
                .And.Contain("RobertaForSequenceClassification"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void BaseModelLoadedAsClassifierNamesTheMissingHead()
    {
        string dir = Copy("mpnet");
        try
        {
            var e = Assert.Throws<CheckpointException>(() => BertForSequenceClassification.Load(dir))!;
            Assert.That(e.Message, Does.Contain("does not fit MPNetForSequenceClassification").And.Contain("classifier.dense.weight"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void FamiliesWithoutPoolerRefusePoolerPoolingClearly()
    {
        string dir = Copy("electra");
        try
        {
            BertModel model = BertModel.Load(dir);
            Assert.That(model.Pooler, Is.Null);
            ModelOutput o = model.Run(BertBatch.FromRows([[101, 2000, 102]]));
            var e = Assert.Throws<BertInputException>(() => Pooling.Pool(o, PoolingMode.Pooler, normalize: true))!;
            Assert.That(e.Message, Does.Contain("pooler"));
            Assert.That(Pooling.Pool(o, PoolingMode.Cls, normalize: false)[0], Is.EqualTo(o.LastHiddenState.AsSpan(0, 32).ToArray()));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void RobertaRowNeedingMorePositionsThanStoredIsRejected()
    {
        string dir = Copy("roberta");
        try
        {
            BertModel model = BertModel.Load(dir);
            Assert.That(model.Config.MaxTokens, Is.EqualTo(128));
            int[] ids = Enumerable.Repeat(5, 129).ToArray();
            var e = Assert.Throws<BertInputException>(() => model.Run(BertBatch.FromRows([ids], padId: 1)))!;
            Assert.That(e.Message, Does.Contain("position 130").And.Contain("max_position_embeddings"));
            Assert.DoesNotThrow(() => model.Run(BertBatch.FromRows([ids[..128]], padId: 1)));
        }
        finally { Directory.Delete(dir, true); }
    }
}
