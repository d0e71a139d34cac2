using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace BertSharp.Tests.Support;

/// <summary>
/// A tiny BertModel checkpoint built in memory so tests can break it on purpose: config.json as a JsonObject, tensors
/// as (name, dtype, shape, bytes) in file order, written by hand (<see cref="Write"/>) so a header can say anything.
/// Sizes: hidden 8, 2 heads, 2 layers, intermediate 16, vocab 40, 16 positions, 2 token types, with pooler.
/// Weights are seeded random N(0, 0.2²); LayerNorm weights are near 1.
/// </summary>
internal sealed class MutableTinyCheckpoint
{
    public const int Hidden = 8, Heads = 2, Layers = 2, Intermediate = 16, Vocab = 40, Positions = 16, Types = 2;

    public sealed class Tensor(string name, string dtype, long[] shape, byte[] data)
    {
        public string Name { get; set; } = name;
        public string DType { get; set; } = dtype;
        public long[] Shape { get; set; } = shape;
        public byte[] Data { get; set; } = data;

        public Tensor Clone() => new(Name, DType, (long[])Shape.Clone(), (byte[])Data.Clone());
    }

    public JsonObject Config { get; private set; } = new();
    public List<Tensor> Tensors { get; } = new();

    public static MutableTinyCheckpoint Create(int seed = 15)
    {
        var f = new MutableTinyCheckpoint();
        f.Config = new JsonObject
        {
            ["architectures"] = new JsonArray("BertModel"),
            ["attention_probs_dropout_prob"] = 0.1,
            ["hidden_act"] = "gelu",
            ["hidden_dropout_prob"] = 0.1,
            ["hidden_size"] = Hidden,
            ["initializer_range"] = 0.02,
            ["intermediate_size"] = Intermediate,
            ["layer_norm_eps"] = 1e-12,
            ["max_position_embeddings"] = Positions,
            ["model_type"] = "bert",
            ["num_attention_heads"] = Heads,
            ["num_hidden_layers"] = Layers,
            ["pad_token_id"] = 0,
            ["position_embedding_type"] = "absolute",
            ["type_vocab_size"] = Types,
            ["vocab_size"] = Vocab,
        };
        var rng = new Random(seed);
        void Add(string name, bool layerNormWeight, params long[] shape)
        {
            long n = 1; foreach (long d in shape) n *= d;
            var bytes = new byte[n * 4];
            for (int i = 0; i < n; i++)
            {
                double g = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
                float v = (float)(layerNormWeight ? 1 + 0.1 * g : 0.2 * g);
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), v);
            }
            f.Tensors.Add(new Tensor(name, "F32", shape, bytes));
        }
        Add("embeddings.word_embeddings.weight", false, Vocab, Hidden);
        Add("embeddings.position_embeddings.weight", false, Positions, Hidden);
        Add("embeddings.token_type_embeddings.weight", false, Types, Hidden);
        Add("embeddings.LayerNorm.weight", true, Hidden);
        Add("embeddings.LayerNorm.bias", false, Hidden);
        for (int l = 0; l < Layers; l++)
        {
            string p = $"encoder.layer.{l}.";
            foreach (string qkv in new[] { "query", "key", "value" })
            {
                Add(p + "attention.self." + qkv + ".weight", false, Hidden, Hidden);
                Add(p + "attention.self." + qkv + ".bias", false, Hidden);
            }
            Add(p + "attention.output.dense.weight", false, Hidden, Hidden);
            Add(p + "attention.output.dense.bias", false, Hidden);
            Add(p + "attention.output.LayerNorm.weight", true, Hidden);
            Add(p + "attention.output.LayerNorm.bias", false, Hidden);
            Add(p + "intermediate.dense.weight", false, Intermediate, Hidden);
            Add(p + "intermediate.dense.bias", false, Intermediate);
            Add(p + "output.dense.weight", false, Hidden, Intermediate);
            Add(p + "output.dense.bias", false, Hidden);
            Add(p + "output.LayerNorm.weight", true, Hidden);
            Add(p + "output.LayerNorm.bias", false, Hidden);
        }
        Add("pooler.dense.weight", false, Hidden, Hidden);
        Add("pooler.dense.bias", false, Hidden);
        return f;
    }

    /// <summary>The header JSON a correct writer produces: tensors in list order, contiguous offsets.</summary>
    public JsonObject Header()
    {
        var h = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        foreach (Tensor t in Tensors)
        {
            var shape = new JsonArray(); foreach (long d in t.Shape) shape.Add(d);
            h[t.Name] = new JsonObject { ["dtype"] = t.DType, ["shape"] = shape, ["data_offsets"] = new JsonArray(offset, offset + t.Data.Length) };
            offset += t.Data.Length;
        }
        return h;
    }

    public byte[] Data()
    {
        var ms = new MemoryStream();
        foreach (Tensor t in Tensors) ms.Write(t.Data);
        return ms.ToArray();
    }

    /// <summary>[u64 header length][header][data].</summary>
    public static byte[] SafeTensorsBytes(string headerJson, byte[] data, ulong? headerLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    /// <summary>Writes config.json, model.safetensors and a vocab.txt (so the CLI can tokenize) into a new folder.</summary>
    public void Write(string dir, string? configJson = null, byte[]? safetensors = null)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), configJson ?? Config.ToJsonString());
        File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), safetensors ?? SafeTensorsBytes(Header().ToJsonString(), Data()));
        File.WriteAllLines(Path.Combine(dir, "vocab.txt"), VocabLines());
    }

    /// <summary>[PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, [MASK] 4, then a–z and a few words up to 40 entries.</summary>
    public static IEnumerable<string> VocabLines()
    {
        yield return "[PAD]"; yield return "[UNK]"; yield return "[CLS]"; yield return "[SEP]"; yield return "[MASK]";
        for (char c = 'a'; c <= 'z'; c++) yield return c.ToString();
        foreach (string w in new[] { "hello", "world", "the", "dog", "cat", ".", ",", "!", "?" }) yield return w;
    }

    public MutableTinyCheckpoint Clone()
    {
        var f = new MutableTinyCheckpoint { Config = (JsonObject)Config.DeepClone() };
        foreach (Tensor t in Tensors) f.Tensors.Add(new Tensor(t.Name, t.DType, (long[])t.Shape.Clone(), (byte[])t.Data.Clone()));
        return f;
    }
}
