using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>What a Split pre-tokenizer matches.</summary>
internal enum SplitPatternKind
{
    /// <summary>A literal string (<c>{"String": s}</c>, or a regex without metacharacters): leftmost non-overlapping occurrences.</summary>
    Literal,
    /// <summary>The GPT-2 pattern (<see cref="Gpt2Pattern"/>, Oniguruma semantics); its matches tile the text.</summary>
    Gpt2,
    /// <summary><c>\s+</c>: maximal runs of White_Space.</summary>
    WhitespaceRuns,
}

/// <summary>
/// Hugging Face's Split (pre_tokenizers/split.rs): the pattern's matches (runs on Oniguruma, the default
/// <c>SysRegex</c>; a string pattern is the escaped literal) become segments, flipped when <c>invert</c>, then cut with
/// the behavior (<see cref="PieceSplitter"/>). Only regexes whose Oniguruma semantics are reproduced exactly are taken:
/// the GPT-2 pattern, <c>\s+</c> and metacharacter-free literals; any other regex is an error naming its JSON path.
/// </summary>
internal sealed class SplitPreTokenizer(SplitPatternKind kind, string literal, SplitBehavior behavior, bool invert) : IPreTokenizer
{
    public const string Gpt2Regex = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    public SplitPatternKind Kind { get; } = kind;
    public string Literal { get; } = literal;
    public SplitBehavior Behavior { get; } = behavior;
    public bool Invert { get; } = invert;

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch)
    {
        var splitter = new PieceSplitter(input, index, output, Behavior);
        var text = input.Piece(index);
        bool match = !Invert;
        int prev = 0;
        while (prev < text.Length)
        {
            int start, end;
            switch (Kind)
            {
                case SplitPatternKind.Literal:
                {
                    int at = text[prev..].IndexOf(Literal.AsSpan());
                    if (at < 0) { start = end = text.Length; break; }
                    start = prev + at;
                    end = start + Literal.Length;
                    break;
                }
                case SplitPatternKind.Gpt2:
                    start = prev;
                    end = Gpt2Pattern.MatchEnd(text, prev);
                    break;
                default:
                {
                    start = prev;
                    while (start < text.Length && !IsSpace(text, start)) start++;
                    end = start;
                    while (end < text.Length && IsSpace(text, end)) end++;
                    break;
                }
            }
            if (start > prev) splitter.Add(prev, start, !match);
            if (end > start) splitter.Add(start, end, match);
            prev = end;
        }
        splitter.Finish();
    }

    // White_Space code points are all in the BMP; a surrogate is never one.
    private static bool IsSpace(ReadOnlySpan<char> text, int i) => (UnicodeTables.GetFlags(text[i]) & CharFlags.Whitespace) != 0;

    /// <summary>Reads {"type": "Split", "pattern": {"String": s} | {"Regex": r}, "behavior", "invert"} (all required, as in Rust).</summary>
    public static SplitPreTokenizer FromJson(JsonFields f, JsonElement p, string path)
    {
        f.RejectUnknown(p, path, "type", "pattern", "behavior", "invert");
        string patternPath = JsonFields.Join(path, "pattern");
        if (!f.TryGet(p, "pattern", out var pattern)) throw f.Error(patternPath, "is missing");
        f.Object(pattern, patternPath);
        f.RejectUnknown(pattern, patternPath, "String", "Regex");
        string? literal = f.String(pattern, patternPath, "String");
        string? regex = f.String(pattern, patternPath, "Regex");
        if ((literal is null) == (regex is null)) throw f.Error(patternPath, "must have exactly one of \"String\" or \"Regex\"");
        var behavior = SplitBehaviorJson.Read(f, p, path, "behavior", null);
        bool invert = f.Bool(p, path, "invert") ?? throw f.Error(JsonFields.Join(path, "invert"), "is missing");
        if (literal is not null)
        {
            CheckLiteral(f, JsonFields.Join(patternPath, "String"), literal);
            return new SplitPreTokenizer(SplitPatternKind.Literal, literal, behavior, invert);
        }
        string regexPath = JsonFields.Join(patternPath, "Regex");
        if (regex == Gpt2Regex) return new SplitPreTokenizer(SplitPatternKind.Gpt2, "", behavior, invert);
        if (regex == @"\s+") return new SplitPreTokenizer(SplitPatternKind.WhitespaceRuns, "", behavior, invert);
        if (regex is not null && regex.AsSpan().IndexOfAny(@"\^$.|?*+()[]{}") < 0)
        {
            CheckLiteral(f, regexPath, regex);
            return new SplitPreTokenizer(SplitPatternKind.Literal, regex, behavior, invert);
        }
        throw f.Error(regexPath, $"'{regex}' is not supported (supported: metacharacter-free literals, \\s+, and the GPT-2 pattern)");
    }

    private static void CheckLiteral(JsonFields f, string path, string literal)
    {
        // An empty pattern makes Oniguruma match the empty string everywhere; a lone surrogate cannot be in UTF-8 text.
        if (literal.Length == 0) throw f.Error(path, "must not be empty");
        for (int i = 0; i < literal.Length; i++)
        {
            if (char.IsHighSurrogate(literal[i]) && i + 1 < literal.Length && char.IsLowSurrogate(literal[i + 1])) { i++; continue; }
            if (char.IsSurrogate(literal[i])) throw f.Error(path, "contains a lone surrogate");
        }
    }
}
