using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PostProcessors;

/// <summary>
/// Reads tokenizer.json's "post_processor" (dispatch on "type"). A new post-processor plugs in as one more case of
/// <see cref="Read"/> returning an <see cref="IPostProcessor"/>.
/// </summary>
internal static class PostProcessorJson
{
    public const string Supported = "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel";

    /// <summary>The post-processor at <paramref name="path"/>; null JSON means none (sequences as they are, A type 0, B type 1).</summary>
    public static IPostProcessor Read(JsonFields f, JsonElement p, string path)
    {
        f.Object(p, path);
        string? type = f.String(p, path, "type");
        switch (type)
        {
            case "TemplateProcessing": return ReadTemplateProcessing(f, p, path);
            case "BertProcessing": return ReadBertProcessing(f, p, path, out _, out _);
            case "RobertaProcessing":
            {
                f.RejectUnknown(p, path, "type", "sep", "cls", "trim_offsets", "add_prefix_space");
                var sep = ReadTokenIdPair(f, p, path, "sep");
                var cls = ReadTokenIdPair(f, p, path, "cls");
                return new RobertaProcessing(cls, sep, f.Bool(p, path, "trim_offsets") ?? true, f.Bool(p, path, "add_prefix_space") ?? true);
            }
            case "ByteLevel":
            {
                var settings = PreTokenizers.ByteLevelPreTokenizer.FromJson(f, p, path);
                return new ByteLevelPostProcessor(settings.TrimOffsets, settings.AddPrefixSpace);
            }
            default: throw f.Error(JsonFields.Join(path, "type"), $"'{type}' is not supported ({Supported})");
        }
    }

    public static TemplateProcessor ReadTemplateProcessing(JsonFields f, JsonElement p, string path)
    {
        f.RejectUnknown(p, path, "type", "single", "pair", "special_tokens");
        var specials = ReadTemplateSpecialTokens(f, p, path);
        var single = ReadTemplate(f, p, path, "single", specials);
        var pair = ReadTemplate(f, p, path, "pair", specials);
        return new TemplateProcessor(single, pair) { TemplateTypeIds = true };
    }

    public static TemplateProcessor ReadBertProcessing(JsonFields f, JsonElement p, string path, out string clsToken, out string sepToken)
    {
        f.RejectUnknown(p, path, "type", "sep", "cls");
        (sepToken, int sepId) = ReadTokenIdPair(f, p, path, "sep");
        (clsToken, int clsId) = ReadTokenIdPair(f, p, path, "cls");
        var cls = TemplateProcessor.Piece.Special([clsId], [clsToken], 0);
        var sep0 = TemplateProcessor.Piece.Special([sepId], [sepToken], 0);
        var sep1 = TemplateProcessor.Piece.Special([sepId], [sepToken], 1);
        return new TemplateProcessor([cls, TemplateProcessor.Piece.Of(0, 0), sep0],
            [cls, TemplateProcessor.Piece.Of(0, 0), sep0, TemplateProcessor.Piece.Of(1, 1), sep1]);
    }

    /// <summary>A [token, id] pair such as BertProcessing's "sep": ["[SEP]", 102].</summary>
    public static (string Token, int Id) ReadTokenIdPair(JsonFields f, JsonElement p, string path, string name)
    {
        string fieldPath = $"{path}.{name}";
        if (!f.TryGet(p, name, out var v) || v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 2
            || v[0].ValueKind != JsonValueKind.String)
            throw f.Error(fieldPath, "must be [token, id]");
        return (v[0].GetString()!, f.Int(v[1], $"{fieldPath}[1]"));
    }

    private static Dictionary<string, (int[] Ids, string[] Tokens)> ReadTemplateSpecialTokens(JsonFields f, JsonElement p, string ppath)
    {
        var result = new Dictionary<string, (int[], string[])>(StringComparer.Ordinal);
        if (!f.TryGet(p, "special_tokens", out var map)) return result;
        f.Object(map, $"{ppath}.special_tokens");
        foreach (var entry in map.EnumerateObject())
        {
            string path = $"{ppath}.special_tokens[\"{entry.Name}\"]";
            var t = f.Object(entry.Value, path);
            f.RejectUnknown(t, path, "id", "ids", "tokens");
            if (!f.TryGet(t, "ids", out var ids) || ids.ValueKind != JsonValueKind.Array) throw f.Error(JsonFields.Join(path, "ids"), "must be an array of ids");
            if (!f.TryGet(t, "tokens", out var tokens) || tokens.ValueKind != JsonValueKind.Array) throw f.Error(JsonFields.Join(path, "tokens"), "must be an array of strings");
            var idArray = new int[ids.GetArrayLength()];
            for (int i = 0; i < idArray.Length; i++) idArray[i] = f.Int(ids[i], $"{path}.ids[{i}]");
            var tokenArray = new string[tokens.GetArrayLength()];
            for (int i = 0; i < tokenArray.Length; i++)
                tokenArray[i] = tokens[i].ValueKind == JsonValueKind.String ? tokens[i].GetString()! : throw f.Error($"{path}.tokens[{i}]", "must be a string");
            if (idArray.Length != tokenArray.Length) throw f.Error(path, "ids and tokens must have the same length");
            result[entry.Name] = (idArray, tokenArray);
        }
        return result;
    }

    private static List<TemplateProcessor.Piece> ReadTemplate(JsonFields f, JsonElement p, string ppath, string name, Dictionary<string, (int[] Ids, string[] Tokens)> specials)
    {
        string path = $"{ppath}.{name}";
        if (!f.TryGet(p, name, out var list) || list.ValueKind != JsonValueKind.Array) throw f.Error(path, "must be an array of template pieces");
        var pieces = new List<TemplateProcessor.Piece>();
        int i = 0;
        foreach (var item in list.EnumerateArray())
        {
            string itemPath = $"{path}[{i++}]";
            f.Object(item, itemPath);
            f.RejectUnknown(item, itemPath, "SpecialToken", "Sequence");
            if (f.TryGet(item, "SpecialToken", out var st))
            {
                string stPath = itemPath + ".SpecialToken";
                f.Object(st, stPath);
                f.RejectUnknown(st, stPath, "id", "type_id");
                string id = f.String(st, stPath, "id") ?? throw f.Error(stPath + ".id", "is missing");
                int typeId = f.Int(st, stPath, "type_id") ?? 0;
                if (!specials.TryGetValue(id, out var special)) throw f.Error(stPath + ".id", $"'{id}' is not in {ppath}.special_tokens");
                pieces.Add(TemplateProcessor.Piece.Special(special.Ids, special.Tokens, typeId));
            }
            else if (f.TryGet(item, "Sequence", out var seq))
            {
                string seqPath = itemPath + ".Sequence";
                f.Object(seq, seqPath);
                f.RejectUnknown(seq, seqPath, "id", "type_id");
                string id = f.String(seq, seqPath, "id") ?? throw f.Error(seqPath + ".id", "is missing");
                int typeId = f.Int(seq, seqPath, "type_id") ?? 0;
                int sequence = id switch { "A" => 0, "B" => 1, _ => throw f.Error(seqPath + ".id", $"must be \"A\" or \"B\", got '{id}'") };
                if (name == "single" && sequence == 1) throw f.Error(seqPath + ".id", "\"B\" cannot appear in the single template");
                pieces.Add(TemplateProcessor.Piece.Of(sequence, typeId));
            }
            else throw f.Error(itemPath, "must hold SpecialToken or Sequence");
        }
        int a = pieces.Count(x => x.Sequence == 0), b = pieces.Count(x => x.Sequence == 1);
        if (a != 1 || b != (name == "pair" ? 1 : 0)) throw f.Error(path, "must contain sequence A exactly once (and B exactly once in the pair template)");
        return pieces;
    }
}
