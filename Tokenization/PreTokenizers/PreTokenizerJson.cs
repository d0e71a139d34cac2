using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// Reads tokenizer.json's "pre_tokenizer" (dispatch on "type"). A new pre-tokenizer plugs in as one more case of
/// <see cref="Read"/> (and its name in <see cref="Supported"/>); every error names the JSON path.
/// </summary>
internal static class PreTokenizerJson
{
    public const string Supported = "BertPreTokenizer, Sequence, Metaspace, ByteLevel, Whitespace, WhitespaceSplit, Punctuation, Digits, Split";

    public static IPreTokenizer Read(JsonFields f, JsonElement p, string path)
    {
        f.Object(p, path);
        string? type = f.String(p, path, "type");
        switch (type)
        {
            case "BertPreTokenizer":
                f.RejectUnknown(p, path, "type");
                return BertPreTokenizerStep.Instance;
            case "Sequence":
            {
                f.RejectUnknown(p, path, "type", "pretokenizers");
                string listPath = JsonFields.Join(path, "pretokenizers");
                if (!f.TryGet(p, "pretokenizers", out var list) || list.ValueKind != JsonValueKind.Array) throw f.Error(listPath, "must be an array of pre-tokenizers");
                var items = new List<IPreTokenizer>();
                int i = 0;
                foreach (var item in list.EnumerateArray()) items.Add(Read(f, item, $"{listPath}[{i++}]"));
                return new SequencePreTokenizer(items.ToArray());
            }
            case "Metaspace": return MetaspacePreTokenizer.FromJson(f, p, path);
            case "ByteLevel": return ByteLevelPreTokenizer.FromJson(f, p, path);
            case "Whitespace":
                f.RejectUnknown(p, path, "type");
                return WhitespacePreTokenizer.Instance;
            case "WhitespaceSplit":
                f.RejectUnknown(p, path, "type");
                return WhitespaceSplitPreTokenizer.Instance;
            case "Punctuation": return PunctuationPreTokenizer.FromJson(f, p, path);
            case "Digits": return DigitsPreTokenizer.FromJson(f, p, path);
            case "Split": return SplitPreTokenizer.FromJson(f, p, path);
            default:
                throw f.Error(JsonFields.Join(path, "type"), type is null ? "is missing" : $"'{type}' is not supported (supported: {Supported})");
        }
    }
}
