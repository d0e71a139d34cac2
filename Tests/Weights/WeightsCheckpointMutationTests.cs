using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using BertSharp.Engine;
using BertSharp.Weights;

namespace BertSharp.Tests.Weights;

/// <summary>
/// Issue 15: seeded mutants of a tiny checkpoint (<see cref="MutableTinyCheckpoint"/>) — config.json fields of every JSON
/// shape, broken config files, safetensors headers (dtypes, shapes, offsets, names, duplicates, lengths, junk),
/// truncated files and non-finite tensor bytes. Each is loaded with <see cref="BertModel.Load(string)"/> and run once.
/// Invariant for every mutant: a one-line ConfigException / CheckpointException / BertInputException whose message
/// names the file, or success with finite outputs; never another exception type. Mutants known to be invalid must be
/// rejected (and with the fragment given), mutants known to be valid must run. Sizes that would make a loader
/// allocate gigabytes run in a child process capped at a 256 MB heap, so they cannot take the test run down.
/// </summary>
[NonParallelizable]
public class WeightsCheckpointMutationTests
{
    private const int Seed = 20261130;

    private enum Expect { Reject, Accept, Either }

    /// <param name="Config">config.json text (null: the base config)</param>
    /// <param name="Weights">model.safetensors bytes (null: the base file)</param>
    /// <param name="Fragment">text a rejection's message must contain, when known</param>
    /// <param name="Shards">when set: no model.safetensors, these files instead (model.safetensors.index.json and shards)</param>
    private sealed record Mutant(string Class, string Name, Expect Expect, byte[]? Config, byte[]? Weights = null, string? Fragment = null,
        Dictionary<string, byte[]>? Shards = null);

    private static readonly MutableTinyCheckpoint Base = MutableTinyCheckpoint.Create();

    private static readonly BertBatch Batch = BertBatch.FromRows(
        [new[] { 2, 31, 5, 6, 7, 3 }, new[] { 2, 10, 3, 11, 12, 3 }],
        [new[] { 0, 0, 0, 0, 0, 0 }, new[] { 0, 0, 0, 1, 1, 1 }]);

    // ---------- config.json ----------

    /// <summary>The base config as ordered (key, raw JSON) pairs, so values can be written exactly as a file would (8.0, 1e400, …).</summary>
    private static List<(string Key, string Raw)> ConfigPairs() =>
        Base.Config.Select(p => (p.Key, p.Value!.ToJsonString())).ToList();

    private static byte[] ConfigText(IEnumerable<(string Key, string Raw)> pairs) =>
        Encoding.UTF8.GetBytes("{\n  " + string.Join(",\n  ", pairs.Select(p => $"\"{p.Key}\": {p.Raw}")) + "\n}\n");

    private static readonly string[] RawValues =
    [
        "null", "0", "-1", "1", "2", "4", "8", "16", "40", "2147483647", "1000000000", "10000000000",
        "99999999999999999999999", "8.0", "2.0", "1.5", "1e-5", "1e400", "\"8\"", "[8]", "[\n    32\n  ]", "{}", "true", "false",
        "\"gelu\"", "\"relu\"", "\"absolute\"", "\"bert\"", "\"x\\ny\"", "\"" + new string('a', 500) + "\"", "[\"BertModel\"]",
    ];

    private static readonly string[] ConfigFields =
    [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "max_position_embeddings",
        "type_vocab_size", "layer_norm_eps", "hidden_act", "position_embedding_type", "pad_token_id", "tie_word_embeddings",
        "is_decoder", "model_type", "architectures", "num_labels", "problem_type", "id2label", "classifier_dropout",
    ];

    private static bool IsIntLiteral(string raw, out long value) =>
        long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool IsNumber(string raw, out double value) =>
        double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>What transformers does with this field value on this checkpoint; raw null = field removed.</summary>
    private static Expect ExpectConfig(string field, string? raw)
    {
        bool removed = raw is null;
        bool isInt = !removed && IsIntLiteral(raw!, out long i) ? true : false;
        IsIntLiteral(raw ?? "", out long v);
        switch (field)
        {
            case "vocab_size": return isInt && v == MutableTinyCheckpoint.Vocab ? Expect.Accept : Expect.Reject;
            case "hidden_size": return isInt && v == MutableTinyCheckpoint.Hidden ? Expect.Accept : Expect.Reject;
            case "intermediate_size": return isInt && v == MutableTinyCheckpoint.Intermediate ? Expect.Accept : Expect.Reject;
            case "max_position_embeddings": return isInt && v == MutableTinyCheckpoint.Positions ? Expect.Accept : Expect.Reject;
            case "type_vocab_size": return removed || isInt && v == MutableTinyCheckpoint.Types ? Expect.Accept : Expect.Reject;
            case "num_hidden_layers": return isInt && v is 1 or 2 ? Expect.Accept : Expect.Reject;
            case "num_attention_heads": return isInt && v is 1 or 2 or 4 or 8 ? Expect.Accept : Expect.Reject;
            case "layer_norm_eps":
                return removed || IsNumber(raw!, out double eps) && eps > 0 && float.IsNormal((float)eps) ? Expect.Accept : Expect.Reject;
            case "hidden_act": return removed || raw is "\"gelu\"" or "\"relu\"" ? Expect.Accept : Expect.Reject;
            case "position_embedding_type": return removed || raw == "\"absolute\"" ? Expect.Accept : Expect.Reject;
            case "pad_token_id": return removed || raw == "null" || isInt && v >= 0 && v < MutableTinyCheckpoint.Vocab ? Expect.Accept : Expect.Reject;
            case "tie_word_embeddings": return removed || raw is "true" or "false" ? Expect.Accept : Expect.Reject;
            case "is_decoder": return removed || raw is "false" or "null" ? Expect.Accept : Expect.Reject;
            case "model_type": return removed || raw is "\"bert\"" or "null" ? Expect.Accept : Expect.Reject;
            case "architectures": return removed || raw is "null" or "[\"BertModel\"]" ? Expect.Accept : Expect.Reject;
            case "num_labels": return removed || isInt && v > 0 && v <= int.MaxValue ? Expect.Accept : Expect.Reject;
            case "problem_type": return removed || raw == "null" ? Expect.Accept : Expect.Reject;
            case "id2label": return removed || raw is "null" or "{}" ? Expect.Accept : Expect.Reject;
            case "classifier_dropout": return Expect.Accept;   // training only, never read
            default: throw new ArgumentException(field);
        }
    }

    private static IEnumerable<Mutant> ConfigFieldMutants()
    {
        foreach (string field in ConfigFields)
        {
            var without = ConfigPairs().Where(p => p.Key != field).ToList();
            if (Base.Config.ContainsKey(field))
                yield return new Mutant("config field", $"{field} removed", ExpectConfig(field, null), ConfigText(without));
            foreach (string raw in RawValues)
            {
                var pairs = ConfigPairs();
                int at = pairs.FindIndex(p => p.Key == field);
                if (at >= 0) pairs[at] = (field, raw); else pairs.Add((field, raw));
                Expect expect = ExpectConfig(field, raw);
                // A rejected config value must be named: the field, unless it is a size the tensors contradict
                // (then the tensor is named instead, checked by the general rule).
                string? fragment = expect == Expect.Reject && !IsIntLiteral(raw, out _) ? field : null;
                yield return new Mutant("config field", $"{field} = {Short(raw)}", expect, ConfigText(pairs), null, fragment);
            }
        }
    }

    private static IEnumerable<Mutant> ConfigFileMutants(Random rng)
    {
        byte[] good = ConfigText(ConfigPairs());
        string[] junk =
        [
            "", " ", "{", "}", "[]", "null", "5", "\"x\"", "{\"hidden_size\": 8,}", "// c\n{}", "{\"layer_norm_eps\": NaN}",
            "{\"vocab_size\": Infinity}", "{'hidden_size': 8}", new string('[', 5000) + new string(']', 5000), "{\"a\":" + new string('{', 100),
        ];
        foreach (string j in junk)
            yield return new Mutant("config file", $"junk {Short(j)}", Expect.Reject, Encoding.UTF8.GetBytes(j), null, "config.json");
        for (int k = 0; k < 12; k++)
        {
            int cut = rng.Next(0, good.Length - 2);   // every proper prefix lacks the closing brace
            yield return new Mutant("config file", $"truncated at {cut}", Expect.Reject, good[..cut], null, "config.json");
        }
        byte[] badUtf8 = (byte[])good.Clone();
        badUtf8[Array.IndexOf(badUtf8, (byte)'g')] = 0xFF;
        yield return new Mutant("config file", "invalid UTF-8", Expect.Reject, badUtf8, null, "config.json");
        // Python's json keeps the last of duplicate keys, as System.Text.Json does.
        var dup = ConfigPairs(); dup.Insert(0, ("hidden_size", "99"));
        yield return new Mutant("config file", "duplicate key, last valid", Expect.Accept, ConfigText(dup));
        var dup2 = ConfigPairs(); dup2.Add(("hidden_size", "99"));
        yield return new Mutant("config file", "duplicate key, last invalid", Expect.Reject, ConfigText(dup2));
        // transformers reads config.json as UTF-8 text and json.loads refuses a leading BOM ("Unexpected UTF-8 BOM").
        yield return new Mutant("config file", "UTF-8 BOM", Expect.Reject, [0xEF, 0xBB, 0xBF, .. good], null, "config.json");
    }

    // ---------- model.safetensors ----------

    private static byte[] Weights(JsonObject header, byte[]? data = null) =>
        MutableTinyCheckpoint.SafeTensorsBytes(header.ToJsonString(), data ?? Base.Data());

    private static IEnumerable<Mutant> HeaderMutants(Random rng)
    {
        string[] dtypes = ["\"F16\"", "\"BF16\"", "\"F64\"", "\"I32\"", "\"U32\"", "\"I64\"", "\"U8\"", "\"BOOL\"", "\"F8_E4M3\"", "\"f32\"", "\"\"", "5", "null", "[\"F32\"]"];
        for (int k = 0; k < dtypes.Length; k++)
        {
            var t = Base.Tensors[rng.Next(Base.Tensors.Count)];
            JsonObject h = Base.Header();
            h[t.Name]!["dtype"] = JsonNode.Parse(dtypes[k]);
            yield return new Mutant("header dtype", $"{t.Name} dtype {dtypes[k]}", Expect.Reject, null, Weights(h), t.Name);
        }

        for (int k = 0; k < 8; k++)
        {
            var t = Base.Tensors[rng.Next(Base.Tensors.Count)];
            long[] s = t.Shape;
            var shapes = new List<string>
            {
                "[" + string.Join(",", s.Reverse()) + "]", "[" + string.Join(",", s.Select((d, i) => i == 0 ? d + 1 : d)) + "]",
                "[" + string.Join(",", s.Take(s.Length - 1)) + "]", "[" + string.Join(",", s) + ",1]", "[1," + string.Join(",", s) + "]",
                "[-1]", "[8.0]", "[\"8\"]", "[1099511627776,1099511627776]", "[4294967296,4294967296,4294967296]", "[]", "[0]", "null",
            };
            foreach (string shape in shapes)
            {
                JsonObject h = Base.Header();
                h[t.Name]!["shape"] = JsonNode.Parse(shape);
                bool same = shape == "[" + string.Join(",", s) + "]";
                yield return new Mutant("header shape", $"{t.Name} shape {shape}", same ? Expect.Accept : Expect.Reject, null, Weights(h), same ? null : t.Name);
            }
        }

        for (int k = 0; k < 6; k++)
        {
            int index = rng.Next(Base.Tensors.Count);
            var t = Base.Tensors[index];
            JsonObject h0 = Base.Header();
            var offsets = h0[t.Name]!["data_offsets"]!.AsArray();
            long b = offsets[0]!.GetValue<long>(), e = offsets[1]!.GetValue<long>();
            string[] variants =
            [
                $"[{b + 4},{e + 4}]", $"[{b - 4},{e - 4}]", $"[{b},{e - 4}]", $"[{b + 4},{e}]", $"[{e},{b}]", "[0,0]", $"[{b},{1L << 62}]",
                $"[-4,{e}]", $"[{b}.0,{e}]", $"[{b},{e},{e}]", $"[{b}]", "\"0-4\"", "null",
            ];
            foreach (string o in variants)
            {
                JsonObject h = Base.Header();
                h[t.Name]!["data_offsets"] = JsonNode.Parse(o);
                yield return new Mutant("header offsets", $"{t.Name} data_offsets {o}", Expect.Reject, null, Weights(h));
            }
        }

        // Entries removed (bytes kept: a gap; bytes removed too: a missing tensor unless the whole pooler is optional).
        foreach (var t in Base.Tensors)
        {
            var f = Base.Clone();
            f.Tensors.RemoveAll(x => x.Name == t.Name);
            bool poolerWeight = t.Name == "pooler.dense.weight";   // no pooler.dense.weight = a checkpoint without pooler
            yield return new Mutant("header entries", $"{t.Name} removed", poolerWeight ? Expect.Accept : Expect.Reject, null,
                MutableTinyCheckpoint.SafeTensorsBytes(f.Header().ToJsonString(), f.Data()), poolerWeight ? null : t.Name);
        }
        for (int k = 0; k < 4; k++)
        {
            var t = Base.Tensors[rng.Next(Base.Tensors.Count)];
            JsonObject h = Base.Header();
            h.Remove(t.Name);
            yield return new Mutant("header entries", $"{t.Name} entry removed, bytes kept", Expect.Reject, null, Weights(h));
        }

        // Renames: transformers' prefix and legacy names load; others leave a tensor missing.
        for (int k = 0; k < 10; k++)
        {
            var t = Base.Tensors[rng.Next(Base.Tensors.Count)];
            foreach (var (newName, expect) in new (string, Expect)[]
            {
                ("bert." + t.Name, Expect.Accept),
                (t.Name.Replace("LayerNorm.weight", "LayerNorm.gamma").Replace("LayerNorm.bias", "LayerNorm.beta"), Expect.Accept),
                (t.Name + "x", t.Name == "pooler.dense.weight" ? Expect.Either : Expect.Reject),
                (t.Name.Replace('.', '\n'), t.Name == "pooler.dense.weight" ? Expect.Either : Expect.Reject),
                ("", t.Name == "pooler.dense.weight" ? Expect.Either : Expect.Reject),
            })
            {
                var f = Base.Clone();
                f.Tensors.First(x => x.Name == t.Name).Name = newName;
                if (newName == t.Name) continue;
                yield return new Mutant("header names", $"{t.Name} renamed {Short(newName)}", expect, null,
                    MutableTinyCheckpoint.SafeTensorsBytes(f.Header().ToJsonString(), f.Data()));
            }
        }

        // Duplicate names: the same key twice in the header text.
        for (int k = 0; k < 4; k++)
        {
            var t = Base.Tensors[rng.Next(Base.Tensors.Count)];
            string json = Base.Header().ToJsonString();
            string entry = $"\"{t.Name}\":" + Base.Header()[t.Name]!.ToJsonString();
            string twice = json.Replace(entry, entry + "," + entry);
            yield return new Mutant("header names", $"{t.Name} listed twice", Expect.Reject,
                null, MutableTinyCheckpoint.SafeTensorsBytes(twice, Base.Data()), "twice");
        }

        // Extra entries.
        long end = Base.Data().Length;
        {
            JsonObject h = Base.Header();
            h["extra"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(2), ["data_offsets"] = new JsonArray(0, 8) };
            yield return new Mutant("header entries", "extra tensor overlapping", Expect.Reject, null, Weights(h), "overlap");
            h = Base.Header();
            h["extra"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(0), ["data_offsets"] = new JsonArray(end, end) };
            yield return new Mutant("header entries", "extra empty tensor at the end", Expect.Accept, null, Weights(h));
            h = Base.Header();
            h["extra"] = new JsonObject { ["dtype"] = "F32", ["shape"] = new JsonArray(1), ["data_offsets"] = new JsonArray(end, end + 4) };
            yield return new Mutant("header entries", "extra tensor past the end", Expect.Reject, null, Weights(h), "extra");
            h = Base.Header();
            h["extra"] = JsonNode.Parse("[1,2]");
            yield return new Mutant("header entries", "extra entry not an object", Expect.Reject, null, Weights(h), "extra");
        }

        // Metadata.
        foreach (var (meta, expect) in new (string?, Expect)[]
            { (null, Expect.Accept), ("{}", Expect.Accept), ("{\"a\":\"x\\ny\"}", Expect.Accept), ("5", Expect.Reject), ("{\"a\":1}", Expect.Reject), ("[]", Expect.Reject), ("null", Expect.Either) })
        {
            JsonObject h = Base.Header();
            if (meta is null) h.Remove("__metadata__"); else h["__metadata__"] = JsonNode.Parse(meta);
            yield return new Mutant("header metadata", $"__metadata__ {meta ?? "removed"}", expect, null, Weights(h), expect == Expect.Reject ? "__metadata__" : null);
        }

        // Whole header: not an object, junk, cut, bytes changed, padded.
        string headerJson = Base.Header().ToJsonString();
        foreach (string j in new[] { "[]", "5", "null", "\"x\"", "{", "{}", "{\"a\":}", "{\"a\":1", new string('[', 100) + new string(']', 100) })
            yield return new Mutant("header junk", $"header {Short(j)}", Expect.Reject, null, MutableTinyCheckpoint.SafeTensorsBytes(j, Base.Data()));
        for (int k = 0; k < 10; k++)
        {
            int cut = rng.Next(1, headerJson.Length - 1);
            yield return new Mutant("header junk", $"header cut at {cut}", Expect.Reject, null, MutableTinyCheckpoint.SafeTensorsBytes(headerJson[..cut], Base.Data()));
        }
        for (int k = 0; k < 30; k++)
        {
            byte[] h = Encoding.UTF8.GetBytes(headerJson);
            int at = rng.Next(h.Length);
            byte was = h[at];
            h[at] = (byte)rng.Next(256);
            if (h[at] == was) continue;
            var bytes = new byte[8 + h.Length + end];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
            h.CopyTo(bytes, 8); Base.Data().CopyTo(bytes, 8 + h.Length);
            yield return new Mutant("header junk", $"header byte {at} 0x{was:X2} -> 0x{h[at]:X2}", Expect.Either, null, bytes);
        }
        yield return new Mutant("header junk", "header padded with spaces (as safetensors writes it)", Expect.Accept, null,
            MutableTinyCheckpoint.SafeTensorsBytes(headerJson + "       ", Base.Data()));
        {
            byte[] h = Encoding.UTF8.GetBytes(headerJson);
            h[headerJson.IndexOf("word", StringComparison.Ordinal)] = 0xFF;
            var bytes = new byte[8 + h.Length + end];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)h.Length);
            h.CopyTo(bytes, 8); Base.Data().CopyTo(bytes, 8 + h.Length);
            yield return new Mutant("header junk", "invalid UTF-8 in a name", Expect.Reject, null, bytes, "UTF-8");
        }

        // The 8-byte header length.
        ulong len = (ulong)Encoding.UTF8.GetByteCount(headerJson);
        foreach (ulong l in new[] { len + 1, len - 1, 0UL, 1UL, 7UL, len + (ulong)end, len + (ulong)end + 1, 1UL << 40, ulong.MaxValue, (ulong)long.MaxValue })
            yield return new Mutant("header length", $"header length {l}", Expect.Reject, null, MutableTinyCheckpoint.SafeTensorsBytes(headerJson, Base.Data(), l), "header");
    }

    private static IEnumerable<Mutant> FileMutants(Random rng)
    {
        byte[] good = MutableTinyCheckpoint.SafeTensorsBytes(Base.Header().ToJsonString(), Base.Data());
        foreach (int cut in new[] { 0, 1, 7, 8, 9 }.Concat(Enumerable.Range(0, 15).Select(_ => rng.Next(10, good.Length))))
            yield return new Mutant("file length", $"truncated to {cut} bytes", Expect.Reject, null, good[..cut], "model.safetensors");
        foreach (int extra in new[] { 1, 4, 100 })
            yield return new Mutant("file length", $"{extra} junk bytes appended", Expect.Reject, null, [.. good, .. new byte[extra]], "model.safetensors");
    }

    private static IEnumerable<Mutant> TensorByteMutants(Random rng)
    {
        float[] bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.UInt32BitsToSingle(0x7F800001), BitConverter.UInt32BitsToSingle(0xFFC00000)];
        for (int k = 0; k < 40; k++)
        {
            int ti = rng.Next(Base.Tensors.Count);
            var f = Base.Clone();
            var t = f.Tensors[ti];
            int element = rng.Next(t.Data.Length / 4);
            float value = bad[k % bad.Length];
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(t.Data.AsSpan(4 * element), value);
            yield return new Mutant("tensor bytes", $"{t.Name}[{element}] = {value}", Expect.Reject, null,
                MutableTinyCheckpoint.SafeTensorsBytes(f.Header().ToJsonString(), f.Data()), $"tensor '{t.Name}' holds");
        }
        for (int k = 0; k < 20; k++)
        {
            int ti = rng.Next(Base.Tensors.Count);
            var f = Base.Clone();
            var t = f.Tensors[ti];
            int element = rng.Next(t.Data.Length / 4);
            float value = (float)(rng.NextDouble() * 6 - 3);
            System.Buffers.Binary.BinaryPrimitives.WriteSingleLittleEndian(t.Data.AsSpan(4 * element), value);
            yield return new Mutant("tensor bytes", $"{t.Name}[{element}] = {value} (finite)", Expect.Accept, null,
                MutableTinyCheckpoint.SafeTensorsBytes(f.Header().ToJsonString(), f.Data()));
        }
    }

    /// <summary>The checkpoint split in two shards (embeddings + layer 0, the rest) with its index, then the index broken.</summary>
    private static IEnumerable<Mutant> ShardIndexMutants()
    {
        const string indexName = "model.safetensors.index.json", s1 = "model-00001-of-00002.safetensors", s2 = "model-00002-of-00002.safetensors";
        MutableTinyCheckpoint first = Base.Clone(), second = Base.Clone();
        first.Tensors.RemoveAll(t => !(t.Name.StartsWith("embeddings.", StringComparison.Ordinal) || t.Name.StartsWith("encoder.layer.0.", StringComparison.Ordinal)));
        second.Tensors.RemoveAll(t => first.Tensors.Any(f => f.Name == t.Name));
        byte[] Shard(MutableTinyCheckpoint part) => MutableTinyCheckpoint.SafeTensorsBytes(part.Header().ToJsonString(), part.Data());
        JsonObject Map()
        {
            var map = new JsonObject();
            foreach (var t in first.Tensors) map[t.Name] = s1;
            foreach (var t in second.Tensors) map[t.Name] = s2;
            return new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = Base.Data().Length }, ["weight_map"] = map };
        }
        Mutant Make(string name, Expect expect, byte[] index, string? fragment = null, byte[]? shard2 = null) =>
            new("shard index", name, expect, null, null, fragment, new() { [indexName] = index, [s1] = Shard(first), [s2] = shard2 ?? Shard(second) });
        byte[] Json(JsonNode n) => Encoding.UTF8.GetBytes(n.ToJsonString());

        yield return Make("valid", Expect.Accept, Json(Map()));
        string any = second.Tensors[0].Name;
        foreach (var (value, expect, fragment) in new (string, Expect, string?)[]
        {
            ("\"model-00003-of-00002.safetensors\"", Expect.Reject, "not found"), ("\"../model.safetensors\"", Expect.Reject, "plain file name"),
            ("\"\"", Expect.Reject, "plain file name"), ("5", Expect.Reject, "must be a file name string"), ("null", Expect.Reject, "must be a file name string"),
            ("\"sub/x.safetensors\"", Expect.Reject, "plain file name"), ($"\"{s1}\"", Expect.Reject, "does not contain it"),
        })
        {
            JsonObject idx = Map();
            idx["weight_map"]![any] = JsonNode.Parse(value);
            yield return Make($"weight_map['{any}'] = {Short(value)}", expect, Json(idx), fragment);
        }
        {
            JsonObject idx = Map();
            idx["weight_map"]!.AsObject().Remove(any);
            yield return Make("a stored tensor missing from weight_map", Expect.Either, Json(idx));
            idx = Map();
            idx["weight_map"]!["ghost.weight"] = s2;
            yield return Make("weight_map names a tensor no shard holds", Expect.Reject, Json(idx), "ghost.weight");
            idx = Map();
            idx.Remove("weight_map");
            yield return Make("no weight_map", Expect.Reject, Json(idx), "weight_map");
            idx = Map();
            idx["weight_map"] = new JsonObject();
            yield return Make("empty weight_map", Expect.Reject, Json(idx), "weight_map");
            idx = Map();
            idx["weight_map"] = new JsonArray(1, 2);
            yield return Make("weight_map an array", Expect.Reject, Json(idx), "weight_map");
            idx = Map();
            idx["metadata"] = JsonNode.Parse("[]");
            yield return Make("metadata an array", Expect.Either, Json(idx));
        }
        string valid = Map().ToJsonString();
        string dupEntry = $"\"{any}\":\"{s2}\"";
        yield return Make("weight_map lists a tensor twice", Expect.Reject, Encoding.UTF8.GetBytes(valid.Replace(dupEntry, dupEntry + "," + dupEntry)), "twice");
        foreach (string junk in new[] { "", "{", "[]", "5", "{\"weight_map\": {\"a\": \"b\",}}" })
            yield return Make($"index {Short(junk)}", Expect.Reject, Encoding.UTF8.GetBytes(junk), indexName);
        byte[] bad = Json(Map());
        bad[Array.IndexOf(bad, (byte)'e', 20)] = 0xFF;
        yield return Make("index with invalid UTF-8", Expect.Reject, bad, "UTF-8");
        // A tensor stored in both shards.
        MutableTinyCheckpoint both = second.Clone();
        both.Tensors.Insert(0, first.Tensors[0].Clone());
        yield return Make("a tensor in both shards", Expect.Reject, Json(Map()), "also stored", Shard(both));
        // A shard cut short.
        byte[] cut = Shard(second);
        yield return Make("second shard truncated", Expect.Reject, Json(Map()), s2, cut[..(cut.Length - 5)]);
    }

    private static List<Mutant> AllMutants()
    {
        var rng = new Random(Seed);
        return [.. ConfigFieldMutants(), .. ConfigFileMutants(rng), .. HeaderMutants(rng), .. FileMutants(rng), .. TensorByteMutants(rng),
            .. ShardIndexMutants()];
    }

    private static string Short(string s)
    {
        s = s.Replace("\n", "\\n");
        return s.Length <= 24 ? s : s[..24] + "…";
    }

    // ---------- running a mutant ----------

    /// <summary>Loads and runs the mutant's folder; null when it ran with finite outputs, else the library's exception.</summary>
    private static Exception? LoadAndRun(string dir)
    {
        try
        {
            BertModel model = BertModel.Load(dir);
            ModelOutput output = model.Run(Batch);
            Assert.That(NonFiniteValues.IndexOfFirst(output.LastHiddenState), Is.EqualTo(-1), "last_hidden_state is finite");
            if (output.PoolerOutput is not null)
                Assert.That(NonFiniteValues.IndexOfFirst(output.PoolerOutput), Is.EqualTo(-1), "pooler_output is finite");
            return null;
        }
        catch (Exception e) when (e is ConfigException or CheckpointException or BertInputException)
        {
            return e;
        }
    }

    [Test]
    public void EveryMutantIsRejectedOnOneLineOrRunsWithFiniteOutput()
    {
        List<Mutant> mutants = AllMutants();
        Assert.That(mutants, Has.Count.GreaterThanOrEqualTo(300));
        string root = Path.Combine(Path.GetTempPath(), "bertsharp-mutants-" + Guid.NewGuid().ToString("N"));
        var stats = new SortedDictionary<string, (int Rejected, int Accepted)>(StringComparer.Ordinal);
        var failures = new List<string>();
        try
        {
            for (int m = 0; m < mutants.Count; m++)
            {
                Mutant mutant = mutants[m];
                string dir = Path.Combine(root, m.ToString(CultureInfo.InvariantCulture));
                Directory.CreateDirectory(dir);
                Base.Write(dir);
                if (mutant.Config is not null) File.WriteAllBytes(Path.Combine(dir, "config.json"), mutant.Config);
                if (mutant.Weights is not null) File.WriteAllBytes(Path.Combine(dir, "model.safetensors"), mutant.Weights);
                if (mutant.Shards is not null)
                {
                    File.Delete(Path.Combine(dir, "model.safetensors"));
                    foreach (var (name, bytes) in mutant.Shards) File.WriteAllBytes(Path.Combine(dir, name), bytes);
                }

                long before = GC.GetTotalAllocatedBytes(precise: false);
                Exception? error;
                try { error = LoadAndRun(dir); }
                catch (Exception e) when (e is not AssertionException)
                {
                    failures.Add($"{mutant.Class} / {mutant.Name}: {e.GetType().Name} escaped: {e.Message}");
                    continue;
                }
                catch (AssertionException e)
                {
                    failures.Add($"{mutant.Class} / {mutant.Name}: accepted with non-finite output ({e.Message.Trim()})");
                    continue;
                }
                long allocated = GC.GetTotalAllocatedBytes(precise: false) - before;
                if (allocated > 64L << 20) failures.Add($"{mutant.Class} / {mutant.Name}: allocated {allocated >> 20} MB");

                var (rejected, accepted) = stats.GetValueOrDefault(mutant.Class);
                if (error is null)
                {
                    stats[mutant.Class] = (rejected, accepted + 1);
                    if (mutant.Expect == Expect.Reject) failures.Add($"{mutant.Class} / {mutant.Name}: invalid file accepted");
                    continue;
                }
                stats[mutant.Class] = (rejected + 1, accepted);
                string message = error.Message;
                if (mutant.Expect == Expect.Accept) failures.Add($"{mutant.Class} / {mutant.Name}: valid file rejected: {message}");
                if (message.Contains('\n') || message.Contains('\r')) failures.Add($"{mutant.Class} / {mutant.Name}: message has a line break: {message}");
                if (message.Length > 2000) failures.Add($"{mutant.Class} / {mutant.Name}: message of {message.Length} characters");
                if (!message.Contains(dir)) failures.Add($"{mutant.Class} / {mutant.Name}: message does not name the file: {message}");
                if (mutant.Fragment is string fragment && !message.Contains(ErrorTextOneLine(fragment)))
                    failures.Add($"{mutant.Class} / {mutant.Name}: message lacks \"{fragment}\": {message}");
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
        int total = 0;
        foreach (var (cls, (rej, acc)) in stats)
        {
            TestContext.Out.WriteLine($"{cls,-16} {rej + acc,4} mutants: {rej,4} rejected, {acc,4} ran with finite output");
            total += rej + acc;
        }
        TestContext.Out.WriteLine($"total {total} mutants (seed {Seed}) in {stats.Count} classes, {failures.Count} failures");
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(60)));
    }

    /// <summary>Fragments are compared with messages as they are made one line (a newline in a name reads as \n).</summary>
    private static string ErrorTextOneLine(string s) => s.Replace("\n", "\\n");

    // ---------- sizes that would allocate gigabytes: in a child process under a heap cap ----------

    private static readonly (string Field, string Raw, string Fragment)[] HugeSizes =
    [
        ("num_hidden_layers", "2147483647", "num_hidden_layers 2147483647"),
        ("num_hidden_layers", "1000000000", "num_hidden_layers 1000000000"),
        ("num_hidden_layers", "10000", "num_hidden_layers 10000"),
        ("vocab_size", "2147483647", "vocab_size 2147483647"),
        ("hidden_size", "2147483646", "hidden_size"),
        ("intermediate_size", "2147483647", "intermediate_size 2147483647"),
        ("max_position_embeddings", "2147483647", "max_position_embeddings 2147483647"),
        ("hidden_size", "26752", "hidden_size 26752 does not fit tensor"),
    ];

    [Test]
    public void HugeConfigSizesFailBeforeAllocatingEvenUnderAHeapCap()
    {
        string bertsharp = Path.Combine(AppContext.BaseDirectory, "bertsharp.dll");
        Assert.That(File.Exists(bertsharp), bertsharp);
        string root = Path.Combine(Path.GetTempPath(), "bertsharp-huge-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (var (field, raw, fragment) in HugeSizes)
            {
                string dir = Path.Combine(root, field + raw);
                var pairs = ConfigPairs();
                pairs[pairs.FindIndex(p => p.Key == field)] = (field, raw);
                if (field == "hidden_size") pairs[pairs.FindIndex(p => p.Key == "num_attention_heads")] = ("num_attention_heads", "2");
                Base.Write(dir, Encoding.UTF8.GetString(ConfigText(pairs)));

                var psi = new ProcessStartInfo(DotnetHost(), [bertsharp, "embed", "--model", dir, "hello world"])
                {
                    RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                };
                psi.Environment["DOTNET_GCHeapHardLimit"] = "0x10000000";   // 256 MB: a loader that sizes by the config dies here
                using var p = Process.Start(psi)!;
                string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
                Assert.That(p.WaitForExit(60_000), Is.True, $"{field} {raw}: hung");
                string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
                TestContext.Out.WriteLine($"{field} = {raw}: exit {p.ExitCode}: {stderr.Trim()}");
                Assert.That(p.ExitCode, Is.EqualTo(1), $"{field} {raw}: {stderr}");
                Assert.That(stdout, Is.Empty);
                Assert.That(lines, Has.Length.EqualTo(1), stderr);
                Assert.That(lines[0], Does.StartWith("bertsharp embed: error: ").And.Contain(Path.Combine(dir, "config.json")).And.Contain(fragment));

                // The same in this process: rejected having allocated next to nothing.
                long before = GC.GetTotalAllocatedBytes(precise: true);
                Assert.That(() => BertModel.Load(dir), Throws.TypeOf<ConfigException>().With.Message.Contain(fragment));
                Assert.That(GC.GetTotalAllocatedBytes(precise: true) - before, Is.LessThan(16L << 20), $"{field} {raw}");
            }
        }
        finally
        {
            try { Directory.Delete(root, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The dotnet host running the tests (DOTNET_HOST_PATH under dotnet test), else "dotnet" from PATH.</summary>
    private static string DotnetHost()
    {
        string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(host) && File.Exists(host)) return host;
        string? process = Environment.ProcessPath;
        if (process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet") return process;
        return "dotnet";
    }
}
