namespace BertSharp.Weights;

/// <summary>
/// A model folder with a real architecture's shapes and random weights from a fixed seed, for speed measurements of
/// models we do not ship (bert-base-uncased is 440 MB). Initialised as transformers' BertPreTrainedModel._init_weights
/// does: weights and embeddings ~ N(0, initializer_range), biases 0, LayerNorm γ = 1, β = 0. No tokenizer: feed ids.
/// </summary>
public static class SyntheticCheckpoint
{
    /// <summary>The presets, by name: config.json text of the Hugging Face model whose shape they copy.</summary>
    public static IReadOnlyDictionary<string, string> Presets { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["bert-base-uncased"] = """
            {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": 768,
             "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12, "layer_norm_eps": 1e-12,
             "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": 30522, "pad_token_id": 0,
             "initializer_range": 0.02, "position_embedding_type": "absolute"}
            """,
        ["bert-large-uncased"] = """
            {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "gelu", "hidden_size": 1024,
             "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 24, "layer_norm_eps": 1e-12,
             "max_position_embeddings": 512, "type_vocab_size": 2, "vocab_size": 30522, "pad_token_id": 0,
             "initializer_range": 0.02, "position_embedding_type": "absolute"}
            """,
    };

    /// <summary>Writes config.json + model.safetensors for <paramref name="preset"/> into <paramref name="directory"/>;
    /// an unknown preset is an <see cref="ArgumentException"/> naming the known ones.</summary>
    public static void Write(string preset, string directory, int seed = 42)
    {
        if (!Presets.TryGetValue(preset, out string? json))
            throw new ArgumentException($"unknown synthetic preset '{preset}'; known: {string.Join(", ", Presets.Keys)}");
        WriteConfig(json, directory, seed, preset);
    }

    /// <summary>Same for any config.json text (tests use tiny ones).</summary>
    public static void WriteConfig(string configJson, string directory, int seed = 42, string name = "custom")
    {
        string json = configJson, preset = name;
        BertConfig config = BertConfig.Parse(json, $"synthetic config {name}");
        const float std = 0.02f;
        var rng = new Random(seed);
        var writer = new SafeTensorsWriter();
        writer.Metadata["format"] = "pt";
        writer.Metadata["bertsharp_synthetic"] = $"{preset} seed {seed}";
        foreach (ExpectedTensor t in BertParameterNames.ForBertModel(config, withPooler: true))
        {
            long count = 1;
            foreach (int d in t.Shape) count *= d;
            var data = new float[count];
            if (t.Name.EndsWith("LayerNorm.weight", StringComparison.Ordinal)) Array.Fill(data, 1f);
            else if (t.Shape.Length == 2) FillNormal(rng, data, std);
            // biases and LayerNorm β stay 0
            writer.Add(t.Name, data, Array.ConvertAll(t.Shape, d => (long)d));
        }
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, Checkpoint.ConfigFileName), json);
        writer.Save(Path.Combine(directory, Checkpoint.SingleFileName));
    }

    /// <summary>Box–Muller normal samples, mean 0.</summary>
    private static void FillNormal(Random rng, Span<float> data, float std)
    {
        for (int i = 0; i < data.Length; i += 2)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            double r = Math.Sqrt(-2.0 * Math.Log(u1)) * std;
            data[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < data.Length) data[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
    }
}
