using System.Text;
using BertSharp.Weights;

namespace BertSharp.Tests.SentenceTransformers;

/// <summary>
/// Tiny random BERT checkpoints written by the tests (no shared data): hidden 32, 1 layer, 4 heads, a 60-word
/// vocabulary with [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, weights ~ N(0, 0.2) from a fixed seed so outputs vary
/// visibly. Plus writers for the sentence-transformers files around them (modules.json, Pooling, Dense, LayerNorm,
/// config_sentence_transformers.json).
/// </summary>
internal static class SentenceTransformersFixtures
{
    public const int Hidden = 32;

    public static readonly string[] Words =
    [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", ":", "?", "'",
        "the", "a", "cat", "sat", "on", "mat", "dog", "barks", "man", "is",
        "eating", "food", "query", "passage", "represent", "this", "sentence", "for", "searching", "relevant",
        "passages", "what", "who", "wrote", "book", "paris", "capital", "of", "france", "city",
        "river", "runs", "through", "it", "in", "rain", "spain", "falls", "mainly", "plain",
        "music", "plays", "loud", "quiet", "night", "day", "##s", "##ing", "big", "small",
    ];

    public static int Vocab => Words.Length;

    /// <summary>A fresh temporary folder holding config.json, model.safetensors, vocab.txt, tokenizer_config.json.</summary>
    /// <param name="architecture">BertModel, BertForSequenceClassification or BertForMaskedLM</param>
    public static string Checkpoint(string architecture = "BertModel", int numLabels = 1, int seed = 7, string extraConfig = "")
    {
        string dir = Path.Combine(Path.GetTempPath(), $"bertsharp-st-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        string labels = architecture == "BertForSequenceClassification"
            ? $", \"id2label\": {{{string.Join(", ", Enumerable.Range(0, numLabels).Select(i => $"\"{i}\": \"L{i}\""))}}}" : "";
        string json = $$"""
            {"architectures": ["{{architecture}}"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": {{Hidden}},
             "intermediate_size": 64, "num_attention_heads": 4, "num_hidden_layers": 1, "layer_norm_eps": 1e-12,
             "max_position_embeddings": 64, "type_vocab_size": 2, "vocab_size": {{Vocab}}, "pad_token_id": 0{{labels}}{{extraConfig}}}
            """;
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        BertConfig config = BertConfig.Parse(json, "fixture");
        var rng = new Random(seed);
        var writer = new SafeTensorsWriter();
        foreach (ExpectedTensor t in BertParameterNames.ForArchitecture(architecture, config))
        {
            var data = new float[t.Shape.Aggregate(1, (a, b) => a * b)];
            if (t.Name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) for (int i = 0; i < data.Length; i++) data[i] = 1f + 0.1f * Normal(rng);
            else for (int i = 0; i < data.Length; i++) data[i] = 0.2f * Normal(rng);
            writer.Add(t.Name, data, Array.ConvertAll(t.Shape, d => (long)d));
        }
        writer.Save(Path.Combine(dir, "model.safetensors"));
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), Words);
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"),
            """{"do_lower_case": true, "tokenizer_class": "BertTokenizer", "model_max_length": 64}""");
        return dir;
    }

    public static float Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    /// <summary>modules.json from (type class name, path) pairs; types get the sentence_transformers.models. prefix unless they have a dot.</summary>
    public static void Modules(string dir, params (string Type, string Path)[] modules)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < modules.Length; i++)
        {
            string type = modules[i].Type.Contains('.') ? modules[i].Type : "sentence_transformers.models." + modules[i].Type;
            sb.Append(i > 0 ? ",\n" : "\n").Append($$"""  {"idx": {{i}}, "name": "{{i}}", "path": "{{modules[i].Path}}", "type": "{{type}}"}""");
        }
        File.WriteAllText(Path.Combine(dir, "modules.json"), sb.Append("\n]").ToString());
    }

    /// <summary>The Pooling folder's config.json with the given flags (e.g. "\"pooling_mode_cls_token\": true").</summary>
    public static void Pooling(string dir, string path, string json)
    {
        Directory.CreateDirectory(Path.Combine(dir, path));
        File.WriteAllText(Path.Combine(dir, path, "config.json"), json);
    }

    /// <summary>Standard Transformer → Pooling(mean) [→ Normalize] folder.</summary>
    public static void MeanPooling(string dir, bool normalize, string poolingExtra = "")
    {
        Pooling(dir, "1_Pooling", $$"""{"word_embedding_dimension": {{Hidden}}, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true, "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false{{poolingExtra}}}""");
        if (normalize) Modules(dir, ("Transformer", ""), ("Pooling", "1_Pooling"), ("Normalize", "2_Normalize"));
        else Modules(dir, ("Transformer", ""), ("Pooling", "1_Pooling"));
    }

    /// <summary>
    /// A Dense module folder: config.json and model.safetensors with linear.weight [out, in] (and linear.bias [out]);
    /// returns (W, b) for the reference.
    /// </summary>
    public static (float[] W, float[]? B) Dense(string dir, string path, int inF, int outF, bool bias, string activation, int seed)
    {
        string folder = Path.Combine(dir, path);
        Directory.CreateDirectory(folder);
        string biasJson = bias ? "true" : "false";
        File.WriteAllText(Path.Combine(folder, "config.json"),
            $$"""{"in_features": {{inF}}, "out_features": {{outF}}, "bias": {{biasJson}}, "activation_function": "{{activation}}"}""");
        var rng = new Random(seed);
        var w = new float[outF * inF];
        for (int i = 0; i < w.Length; i++) w[i] = 0.3f * Normal(rng);
        float[]? b = null;
        var writer = new SafeTensorsWriter();
        writer.Add("linear.weight", w, outF, inF);
        if (bias)
        {
            b = new float[outF];
            for (int i = 0; i < b.Length; i++) b[i] = 0.3f * Normal(rng);
            writer.Add("linear.bias", b, outF);
        }
        writer.Save(Path.Combine(folder, "model.safetensors"));
        return (w, b);
    }

    public static void Delete(string? dir)
    {
        if (dir is not null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
    }
}
