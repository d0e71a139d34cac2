using System.Text.Json;
using BertSharp.Tokenization.Decoders;
using BertSharp.Tokenization.Models;
using BertSharp.Tokenization.Normalizers;
using BertSharp.Tokenization.PostProcessors;
using BertSharp.Tokenization.PreTokenizers;

namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// Composes a <see cref="PipelineTokenizer"/> from any tokenizer.json: each section is read by its component
/// family's dispatcher (<see cref="NormalizerJson"/>, <see cref="PreTokenizerJson"/>, <see cref="ModelJson"/>,
/// <see cref="PostProcessorJson"/>, <see cref="DecoderJson"/>), which switches on "type". Unknown types, fields and
/// settings are errors naming the JSON path, e.g. "tokenizer.json: normalizer.normalizers[1].type 'Foo' is not supported".
/// </summary>
internal static class PipelineJsonLoader
{
    /// <summary>What a tokenizer.json holds besides the components.</summary>
    internal sealed record Result(PipelineTokenizer Tokenizer, EncodeOptions? ConfiguredOptions, int? PadId, int? PadTypeId, string? PadToken);

    public static Result Load(string path)
    {
        if (!File.Exists(path)) throw new TokenizerException($"{path}: file not found");
        using var doc = JsonFields.Parse(path);
        return Load(new JsonFields(path), doc.RootElement);
    }

    public static Result Load(JsonFields f, JsonElement rootElement)
    {
        var root = f.Object(rootElement, "(root)");
        f.RejectUnknown(root, "", "version", "truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer", "post_processor", "decoder", "model");
        string? version = f.String(root, "", "version");
        if (version is not null && version != "1.0") throw f.Error("version", $"'{version}' is not supported (expected \"1.0\")");

        if (!f.TryGet(root, "model", out var modelJson)) throw f.Error("model", "is missing");
        var model = ModelJson.Read(f, modelJson, "model");
        var normalizer = f.TryGet(root, "normalizer", out var n) ? NormalizerJson.Read(f, n, "normalizer") : null;
        var preTokenizer = f.TryGet(root, "pre_tokenizer", out var p) ? PreTokenizerJson.Read(f, p, "pre_tokenizer") : null;
        var postProcessor = f.TryGet(root, "post_processor", out var pp) ? PostProcessorJson.Read(f, pp, "post_processor") : TemplateProcessor.None;
        var decoder = f.TryGet(root, "decoder", out var d) ? DecoderJson.Read(f, d, "decoder") : null;
        var added = ReadAddedTokens(f, root);
        var tokenizer = new PipelineTokenizer(normalizer, preTokenizer, model, postProcessor, decoder, added);
        var (options, padId, padTypeId, padToken) = ReadTruncationAndPadding(f, root);
        return new Result(tokenizer, options, padId, padTypeId, padToken);
    }

    private static List<PipelineAddedToken> ReadAddedTokens(JsonFields f, JsonElement root)
    {
        var result = new List<PipelineAddedToken>();
        if (!f.TryGet(root, "added_tokens", out var list)) return result;
        if (list.ValueKind != JsonValueKind.Array) throw f.Error("added_tokens", $"must be an array, got {JsonFields.Describe(list)}");
        int i = 0;
        foreach (var t in list.EnumerateArray())
        {
            string path = $"added_tokens[{i++}]";
            f.Object(t, path);
            f.RejectUnknown(t, path, "id", "content", "single_word", "lstrip", "rstrip", "normalized", "special");
            int id = f.Int(t, path, "id") ?? throw f.Error(JsonFields.Join(path, "id"), "is missing");
            if (id < 0) throw f.Error(JsonFields.Join(path, "id"), $"must not be negative, got {id}");
            string content = f.String(t, path, "content") ?? throw f.Error(JsonFields.Join(path, "content"), "is missing");
            bool special = f.Bool(t, path, "special") ?? false;
            result.Add(new PipelineAddedToken(content, id, special, f.Bool(t, path, "normalized") ?? !special,
                f.Bool(t, path, "lstrip") ?? false, f.Bool(t, path, "rstrip") ?? false, f.Bool(t, path, "single_word") ?? false));
        }
        return result;
    }

    /// <summary>
    /// tokenizer.json's "truncation" and "padding" as <see cref="EncodeOptions"/> (null when neither is set) and the
    /// padding block's pad_id / pad_type_id / pad_token; shared by the composed pipeline and the fused WordPiece loader.
    /// </summary>
    internal static (EncodeOptions? Options, int? PadId, int? PadTypeId, string? PadToken) ReadTruncationAndPadding(JsonFields f, JsonElement root)
    {
        int? maxLength = null;
        TruncationStrategy? truncation = null;
        var truncationSide = TruncationSide.Right;
        if (f.TryGet(root, "truncation", out var t))
        {
            f.Object(t, "truncation");
            f.RejectUnknown(t, "truncation", "max_length", "strategy", "stride", "direction");
            maxLength = f.Int(t, "truncation", "max_length") ?? throw f.Error("truncation.max_length", "is missing");
            string strategy = f.String(t, "truncation", "strategy") ?? "LongestFirst";
            truncation = strategy switch
            {
                "LongestFirst" => TruncationStrategy.LongestFirst,
                "OnlyFirst" => TruncationStrategy.OnlyFirst,
                "OnlySecond" => TruncationStrategy.OnlySecond,
                _ => throw f.Error("truncation.strategy", $"'{strategy}' is not supported"),
            };
            int stride = f.Int(t, "truncation", "stride") ?? 0;
            if (stride != 0) throw f.Error("truncation.stride", $"{stride} is not supported (only 0: no overflowing windows)");
            truncationSide = (f.String(t, "truncation", "direction") ?? "Right") switch
            {
                "Right" => TruncationSide.Right,
                "Left" => TruncationSide.Left,
                var other => throw f.Error("truncation.direction", $"'{other}' is not supported (Right or Left)"),
            };
        }
        var padding = PaddingStrategy.None;
        var paddingSide = PaddingSide.Right;
        int? multiple = null, padId = null, padTypeId = null;
        string? padToken = null;
        if (f.TryGet(root, "padding", out var p))
        {
            f.Object(p, "padding");
            f.RejectUnknown(p, "padding", "strategy", "direction", "pad_to_multiple_of", "pad_id", "pad_type_id", "pad_token");
            if (!f.TryGet(p, "strategy", out var st)) throw f.Error("padding.strategy", "is missing");
            if (st.ValueKind == JsonValueKind.String && st.GetString() == "BatchLongest") padding = PaddingStrategy.Longest;
            else if (st.ValueKind == JsonValueKind.Object && st.TryGetProperty("Fixed", out var size))
            {
                f.RejectUnknown(st, "padding.strategy", "Fixed");
                padding = PaddingStrategy.MaxLength;
                int fixedLength = f.Int(size, "padding.strategy.Fixed");
                if (maxLength is not null && maxLength != fixedLength)
                    throw f.Error("padding.strategy.Fixed", $"{fixedLength} differs from truncation.max_length {maxLength}, which EncodeOptions cannot express");
                maxLength = fixedLength;
            }
            else throw f.Error("padding.strategy", $"must be \"BatchLongest\" or {{\"Fixed\": n}}, got {JsonFields.Describe(st)}");
            paddingSide = (f.String(p, "padding", "direction") ?? "Right") switch
            {
                "Right" => PaddingSide.Right,
                "Left" => PaddingSide.Left,
                var other => throw f.Error("padding.direction", $"'{other}' is not supported (Right or Left)"),
            };
            multiple = f.Int(p, "padding", "pad_to_multiple_of");
            padId = f.Int(p, "padding", "pad_id");
            padTypeId = f.Int(p, "padding", "pad_type_id");
            padToken = f.String(p, "padding", "pad_token");
        }
        EncodeOptions? options = truncation is not null || padding != PaddingStrategy.None
            ? new EncodeOptions { MaxLength = maxLength, Truncation = truncation, Padding = padding, PadToMultipleOf = multiple, TruncationSide = truncationSide, PaddingSide = paddingSide }
            : null;
        return (options, padId, padTypeId, padToken);
    }
}
