using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

public class WeightsConfigTests
{
    [Test]
    public void MissingFieldsTakeTransformersDefaults()
    {
        var c = BertConfig.Parse("{}", "cfg.json");
        Assert.That((c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize, c.VocabSize, c.MaxPositionEmbeddings, c.TypeVocabSize, c.PadTokenId),
            Is.EqualTo((768, 12, 12, 3072, 30522, 512, 2, 0)));
        Assert.That(c.LayerNormEps, Is.EqualTo(1e-12f));
        Assert.That(c.HiddenAct, Is.EqualTo(HiddenActivation.Gelu));
        Assert.That(c.PositionEmbeddingType, Is.EqualTo("absolute"));
        Assert.That(c.ModelType, Is.EqualTo("bert"));
        Assert.That(c.TieWordEmbeddings, Is.True);
        Assert.That(c.NumLabels, Is.Null);
        Assert.That(c.Architectures, Is.Empty);
        Assert.That(c.HeadDim, Is.EqualTo(64));
    }

    [TestCase("gelu", HiddenActivation.Gelu)]
    [TestCase("gelu_new", HiddenActivation.GeluNew)]
    [TestCase("gelu_pytorch_tanh", HiddenActivation.GeluPytorchTanh)]
    [TestCase("relu", HiddenActivation.Relu)]
    public void KnownActivationsParse(string name, HiddenActivation act)
    {
        Assert.That(BertConfig.Parse($"{{\"hidden_act\":\"{name}\"}}", "c").HiddenAct, Is.EqualTo(act));
        Assert.That(HiddenActivations.Name(act), Is.EqualTo(name));
    }

    [TestCase("{\"hidden_act\":\"gelu_fast\"}", "hidden_act \"gelu_fast\"")]
    [TestCase("{\"hidden_act\":\"swish\"}", "hidden_act \"swish\"")]
    [TestCase("{\"hidden_act\":3}", "\"hidden_act\" must be a string")]
    [TestCase("{\"position_embedding_type\":\"relative_key_query\"}", "position_embedding_type \"relative_key_query\"")]
    [TestCase("{\"hidden_size\":10,\"num_attention_heads\":3}", "hidden_size 10 is not a multiple of num_attention_heads 3")]
    [TestCase("{\"hidden_size\":0}", "hidden_size must be a positive integer")]
    [TestCase("{\"num_hidden_layers\":-1}", "num_hidden_layers must be a positive integer")]
    [TestCase("{\"hidden_size\":\"768\"}", "\"hidden_size\" must be an integer")]
    [TestCase("{\"hidden_size\":768.5}", "\"hidden_size\" must be an integer")]
    [TestCase("{\"layer_norm_eps\":0}", "layer_norm_eps")]
    [TestCase("{\"layer_norm_eps\":\"1e-12\"}", "\"layer_norm_eps\" must be a number")]
    [TestCase("{\"model_type\":\"deberta-v2\"}", "model_type \"deberta-v2\" is not supported (expected one of bert, roberta, xlm-roberta, camembert, distilbert, electra, mpnet)")]
    [TestCase("{\"pad_token_id\":40000}", "pad_token_id 40000")]
    [TestCase("{\"id2label\":{\"x\":\"a\"}}", "id2label key \"x\"")]
    [TestCase("{\"id2label\":{\"0\":\"a\",\"2\":\"b\"}}", "id2label must have keys 0..1")]
    [TestCase("{\"num_labels\":3,\"id2label\":{\"0\":\"a\"}}", "num_labels 3 disagrees")]
    [TestCase("{\"problem_type\":\"ranking\"}", "problem_type \"ranking\"")]
    [TestCase("{\"architectures\":\"BertModel\"}", "\"architectures\" must be an array")]
    [TestCase("{\"is_decoder\":true}", "is_decoder")]
    [TestCase("{\"hidden_size\":768", "not valid JSON")]
    [TestCase("[]", "must be a JSON object")]
    public void UnrunnableConfigsAreRejectedByName(string json, string fragment)
    {
        var e = Assert.Throws<ConfigException>(() => BertConfig.Parse(json, "/m/config.json"))!;
        Assert.That(e.Message, Does.StartWith("/m/config.json: ").And.Contain(fragment));
    }

    [Test]
    public void NullPadTokenMeansTheDefaultButNullOrFloatSizesAreRejected()
    {
        // Issue 15: transformers hands these to torch as they are. pad_token_id None only drops padding_idx (training);
        // position_embedding_type None would run without position embeddings; 64.0 makes torch fail.
        var c = BertConfig.Parse("{\"pad_token_id\":null,\"hidden_size\":64,\"num_attention_heads\":4}", "c");
        Assert.That(c.PadTokenId, Is.EqualTo(0));
        Assert.That(c.PositionEmbeddingType, Is.EqualTo("absolute"));
        Assert.That(c.HiddenSize, Is.EqualTo(64));
        var e = Assert.Throws<ConfigException>(() => BertConfig.Parse("{\"position_embedding_type\":null}", "c"))!;
        Assert.That(e.Message, Does.Contain("\"position_embedding_type\" is null"));
        e = Assert.Throws<ConfigException>(() => BertConfig.Parse("{\"hidden_size\":64.0,\"num_attention_heads\":4}", "c"))!;
        Assert.That(e.Message, Does.Contain("\"hidden_size\" must be an integer, found 64.0"));
    }

    [Test]
    public void LabelsAndProblemTypeParse()
    {
        var c = BertConfig.Parse("{\"id2label\":{\"1\":\"pos\",\"0\":\"neg\"},\"label2id\":{\"neg\":0,\"pos\":1},\"problem_type\":\"multi_label_classification\",\"architectures\":[\"BertForSequenceClassification\"],\"tie_word_embeddings\":false}", "c");
        Assert.That(c.Id2Label[0], Is.EqualTo("neg"));
        Assert.That(c.Id2Label[1], Is.EqualTo("pos"));
        Assert.That(c.Label2Id["pos"], Is.EqualTo(1));
        Assert.That(c.NumLabels, Is.EqualTo(2));
        Assert.That(c.ProblemType, Is.EqualTo("multi_label_classification"));
        Assert.That(c.Architectures, Is.EqualTo(new[] { "BertForSequenceClassification" }));
        Assert.That(c.TieWordEmbeddings, Is.False);
    }

    [Test]
    public void LoadNamesTheFileWhenAbsent()
    {
        var e = Assert.Throws<ConfigException>(() => BertConfig.Load("/no/such/config.json"))!;
        Assert.That(e.Message, Does.Contain("/no/such/config.json").And.Contain("not found"));
    }

    [Test]
    public void RealMiniLmConfigLoads()
    {
        var c = BertConfig.Load(SharedData.Require("models/all-MiniLM-L6-v2/config.json"));
        Assert.That((c.HiddenSize, c.NumHiddenLayers, c.NumAttentionHeads, c.IntermediateSize), Is.EqualTo((384, 6, 12, 1536)));
        Assert.That(c.HiddenAct, Is.EqualTo(HiddenActivation.Gelu));
    }

    [Test]
    public void RealMiniLmCheckpointLoadsEveryParameter()
    {
        using var ckpt = Checkpoint.Open(SharedData.Require("models/all-MiniLM-L6-v2"));
        bool withPooler = ckpt.Contains(BertParameterNames.PoolerDenseWeight);
        foreach (ExpectedTensor t in BertParameterNames.ForBertModel(ckpt.Config, withPooler))
            ckpt.ReadFloat32(t.Name, t.Shape);
        Assert.That(ckpt.UnusedTensorNames(), Is.Empty);
    }
}
