using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Decoders;

/// <summary>
/// Reads tokenizer.json's "decoder" (dispatch on "type"). A new decoder plugs in as one more case of
/// <see cref="Read"/> (and its name in <see cref="Supported"/>); every error names the JSON path.
/// </summary>
internal static class DecoderJson
{
    public const string Supported = "WordPiece, Sequence, Metaspace, Replace, ByteFallback, Fuse, Strip, ByteLevel, BPEDecoder";

    public static IDecoder Read(JsonFields f, JsonElement d, string path)
    {
        f.Object(d, path);
        string? type = f.String(d, path, "type");
        switch (type)
        {
            case "WordPiece":
                f.RejectUnknown(d, path, "type", "prefix", "cleanup");
                return new WordPieceDecoder(f.String(d, path, "prefix") ?? "##", f.Bool(d, path, "cleanup") ?? true);
            case "Sequence":
            {
                f.RejectUnknown(d, path, "type", "decoders");
                string listPath = JsonFields.Join(path, "decoders");
                if (!f.TryGet(d, "decoders", out var list) || list.ValueKind != JsonValueKind.Array) throw f.Error(listPath, "must be an array of decoders");
                var items = new List<IDecoder>();
                int i = 0;
                foreach (var item in list.EnumerateArray()) items.Add(Read(f, item, $"{listPath}[{i++}]"));
                return new SequenceDecoder(items.ToArray());
            }
            case "Metaspace":
            {
                var m = PreTokenizers.MetaspacePreTokenizer.FromJson(f, d, path);
                return new MetaspaceDecoder(m.Replacement, m.Scheme);
            }
            case "Replace": return ReplaceDecoder.FromJson(f, d, path);
            case "ByteFallback":
                f.RejectUnknown(d, path, "type");
                return ByteFallbackDecoder.Instance;
            case "Fuse":
                f.RejectUnknown(d, path, "type");
                return FuseDecoder.Instance;
            case "Strip": return StripDecoder.FromJson(f, d, path);
            case "ByteLevel":
                PreTokenizers.ByteLevelPreTokenizer.FromJson(f, d, path);
                return ByteLevelDecoder.Instance;
            case "BPEDecoder":
                f.RejectUnknown(d, path, "type", "suffix");
                return new BpeDecoder(f.String(d, path, "suffix") ?? "</w>");
            default:
                throw f.Error(JsonFields.Join(path, "type"), type is null ? "is missing" : $"'{type}' is not supported (supported: {Supported})");
        }
    }
}
