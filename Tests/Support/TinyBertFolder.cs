using System.Globalization;
using System.Text;
using BertSharp.Weights;

namespace BertSharp.Tests.Support;

/// <summary>
/// A tiny BERT model folder made in the test, needing no shared data: config.json, model.safetensors with every
/// parameter random from a fixed seed (weights N(0, 0.2²); biases, LayerNorm β N(0, 0.1²); LayerNorm γ 1 + N(0, 0.1²),
/// so no term is trivially zero or one), and a vocab.txt WordPiece vocabulary (specials, letters, ##letters, words).
/// Default shapes are deliberately awkward for the kernels: hidden 40 (not a multiple of 16 or 32), 5 heads of 8,
/// intermediate 72.
/// </summary>
internal sealed class TinyBertFolder : IDisposable
{
    public static readonly string[] Words =
        ["the", "a", "bank", "river", "money", "dog", "dogs", "bark", "man", "eat", "##s", "##ing", "##ed", "food", "is", "was", "of", "to", "in"];

    public string Directory { get; }
    public BertConfig Config { get; }
    public int VocabSize { get; }

    public TinyBertFolder(int hidden = 40, int heads = 5, int layers = 2, int intermediate = 72, int maxPositions = 96,
        string hiddenAct = "gelu", int seed = 1, bool withPooler = true)
    {
        var vocab = new List<string> { "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "!", "?" };
        for (char c = 'a'; c <= 'z'; c++) vocab.Add(c.ToString());
        for (char c = 'a'; c <= 'z'; c++) vocab.Add("##" + c);
        vocab.AddRange(Words);
        VocabSize = vocab.Count;
        Directory = Path.Combine(Path.GetTempPath(), "bertsharp-tiny-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(Path.Combine(Directory, "vocab.txt"), string.Join("\n", vocab) + "\n", new UTF8Encoding(false));
        string json = string.Create(CultureInfo.InvariantCulture, $$"""
            {"architectures": ["BertModel"], "model_type": "bert", "hidden_act": "{{hiddenAct}}", "hidden_size": {{hidden}},
             "intermediate_size": {{intermediate}}, "num_attention_heads": {{heads}}, "num_hidden_layers": {{layers}},
             "layer_norm_eps": 1e-12, "max_position_embeddings": {{maxPositions}}, "type_vocab_size": 2,
             "vocab_size": {{VocabSize}}, "pad_token_id": 0}
            """);
        File.WriteAllText(Path.Combine(Directory, Checkpoint.ConfigFileName), json);
        Config = BertConfig.Parse(json, "tiny config");

        var rng = new Random(seed);
        var writer = new SafeTensorsWriter();
        foreach (ExpectedTensor t in BertParameterNames.ForBertModel(Config, withPooler))
        {
            long count = 1;
            foreach (int d in t.Shape) count *= d;
            var data = new float[count];
            bool gamma = t.Name.EndsWith("LayerNorm.weight", StringComparison.Ordinal);
            float std = t.Shape.Length == 2 ? 0.2f : 0.1f;
            for (int i = 0; i < data.Length; i++) data[i] = (gamma ? 1f : 0f) + std * Normal(rng);
            writer.Add(t.Name, data, Array.ConvertAll(t.Shape, d => (long)d));
        }
        writer.Save(Path.Combine(Directory, Checkpoint.SingleFileName));
    }

    /// <summary>Random ids (not specials) framed by [CLS] … [SEP], one row per length, right-padded with [PAD].</summary>
    public int[][] RandomRows(Random rng, params int[] lengths)
    {
        var rows = new int[lengths.Length][];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = new int[lengths[r]];
            for (int t = 0; t < lengths[r]; t++)
                rows[r][t] = t == 0 ? 2 : t == lengths[r] - 1 ? 3 : rng.Next(5, VocabSize);
        }
        return rows;
    }

    private static float Normal(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
