using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Reads tokenizer.json's "normalizer" (dispatch on "type"). A new normalizer plugs in as one more case of
/// <see cref="Read"/> (and its name in <see cref="Supported"/>); every error names the JSON path.
/// </summary>
internal static class NormalizerJson
{
    public const string Supported = "BertNormalizer, Sequence, Strip, Replace, Prepend, Lowercase, Precompiled, NFD, NFKD, NFC, NFKC, StripAccents";

    public static INormalizer Read(JsonFields f, JsonElement n, string path)
    {
        f.Object(n, path);
        string? type = f.String(n, path, "type");
        switch (type)
        {
            case "BertNormalizer":
                f.RejectUnknown(n, path, "type", "clean_text", "handle_chinese_chars", "strip_accents", "lowercase");
                return new BertNormalizerStep(new BertNormalizer(f.Bool(n, path, "clean_text") ?? true, f.Bool(n, path, "handle_chinese_chars") ?? true,
                    f.Bool(n, path, "strip_accents"), f.Bool(n, path, "lowercase") ?? true));
            case "Sequence":
            {
                f.RejectUnknown(n, path, "type", "normalizers");
                string listPath = JsonFields.Join(path, "normalizers");
                if (!f.TryGet(n, "normalizers", out var list) || list.ValueKind != JsonValueKind.Array) throw f.Error(listPath, "must be an array of normalizers");
                var items = new List<INormalizer>();
                int i = 0;
                foreach (var item in list.EnumerateArray()) items.Add(Read(f, item, $"{listPath}[{i++}]"));
                return new SequenceNormalizer(items.ToArray());
            }
            case "Precompiled": return PrecompiledNormalizer.FromJson(f, n, path);
            case "Strip": return StripNormalizer.FromJson(f, n, path);
            case "Replace": return ReplaceNormalizer.FromJson(f, n, path);
            case "Prepend": return PrependNormalizer.FromJson(f, n, path);
            case "Lowercase":
                f.RejectUnknown(n, path, "type");
                return LowercaseNormalizer.Instance;
            case "NFD":
                f.RejectUnknown(n, path, "type");
                return DecompositionNormalizer.Nfd;
            case "NFKD":
                f.RejectUnknown(n, path, "type");
                return DecompositionNormalizer.Nfkd;
            case "NFC":
                f.RejectUnknown(n, path, "type");
                return CompositionNormalizer.Nfc;
            case "NFKC":
                f.RejectUnknown(n, path, "type");
                return CompositionNormalizer.Nfkc;
            case "StripAccents":
                f.RejectUnknown(n, path, "type");
                return StripAccentsNormalizer.Instance;
            default:
                throw f.Error(JsonFields.Join(path, "type"), type is null ? "is missing" : $"'{type}' is not supported (supported: {Supported})");
        }
    }
}
