using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>When Metaspace puts its replacement in front of a piece (Hugging Face <c>PrependScheme</c>).</summary>
internal enum PrependScheme { Always, First, Never }

/// <summary>
/// Hugging Face's Metaspace pre-tokenizer (pre_tokenizers/metaspace.rs): every ' ' becomes the replacement (aligned
/// to that space); the replacement is prepended (aligned to the piece's first char) unless the piece already starts
/// with it — Always: to every piece (each stretch between added tokens), First: only to a piece that starts at
/// original offset 0, Never: not at all; with split, the piece is cut before each replacement (MergedWithNext).
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : IPreTokenizer
{
    public char Replacement { get; } = replacement;
    public PrependScheme Scheme { get; } = scheme;
    public bool Split { get; } = split;

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch)
    {
        int from = input.PieceStart[index], to = from + input.PieceLength[index];
        if (to == from) return;
        bool prepend = input.Chars[from] != ' ' && input.Chars[from] != Replacement && Scheme switch
        {
            PrependScheme.Always => true,
            PrependScheme.First => input.PieceOrigin[index] == 0,
            _ => false,
        };
        output.BeginPiece(input.Start[from]);
        if (prepend) output.Append(Replacement, input.Start[from], input.End[from]);
        for (int i = from; i < to; i++)
        {
            char c = input.Chars[i] == ' ' ? Replacement : input.Chars[i];
            if (Split && c == Replacement && i > from)
            {
                output.EndPiece();
                output.BeginPiece(input.Start[i]);
            }
            output.Append(c, input.Start[i], input.End[i]);
        }
        output.EndPiece();
    }

    /// <summary>Reads {"type": "Metaspace", "replacement", "prepend_scheme", "split", "add_prefix_space"} (metaspace.rs's deserializer rules).</summary>
    public static MetaspacePreTokenizer FromJson(JsonFields f, JsonElement p, string path)
    {
        f.RejectUnknown(p, path, "type", "replacement", "prepend_scheme", "split", "add_prefix_space", "str_rep");
        string replacement = f.String(p, path, "replacement") ?? throw f.Error(JsonFields.Join(path, "replacement"), "is missing");
        if (replacement.Length != 1) throw f.Error(JsonFields.Join(path, "replacement"), $"must be one BMP char, got \"{replacement}\"");
        var scheme = (f.String(p, path, "prepend_scheme") ?? "always") switch
        {
            "always" => PrependScheme.Always,
            "first" => PrependScheme.First,
            "never" => PrependScheme.Never,
            var other => throw f.Error(JsonFields.Join(path, "prepend_scheme"), $"'{other}' is not supported (always, first or never)"),
        };
        if (f.Bool(p, path, "add_prefix_space") == false)
        {
            if (scheme != PrependScheme.Never && f.TryGet(p, "prepend_scheme", out _))
                throw f.Error(JsonFields.Join(path, "add_prefix_space"), "false does not match the declared prepend_scheme");
            scheme = PrependScheme.Never;
        }
        return new MetaspacePreTokenizer(replacement[0], scheme, f.Bool(p, path, "split") ?? true);
    }
}
