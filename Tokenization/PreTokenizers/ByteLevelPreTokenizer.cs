using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// Hugging Face's ByteLevel pre-tokenizer: optionally prepends a space to each piece that does not start with one
/// (<c>add_prefix_space</c>; the space takes the span of the piece's first char), cuts it with the GPT-2 pattern
/// (<c>use_regex</c>, <see cref="Gpt2Pattern"/>), then writes every UTF-8 byte of each cut as its
/// <see cref="ByteLevelAlphabet"/> char. Each byte char keeps the span of the code point it came from, so all byte
/// tokens of a multi-byte char report that char's span. A lone surrogate is written as U+FFFD's bytes.
/// <c>trim_offsets</c> is used by the post-processing side (<see cref="PostProcessors.ByteLevelOffsets"/>).
/// Immutable and thread-safe.
/// </summary>
internal sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool trimOffsets, bool useRegex) : IPreTokenizer
{
    public bool AddPrefixSpace { get; } = addPrefixSpace;
    public bool TrimOffsets { get; } = trimOffsets;
    public bool UseRegex { get; } = useRegex;

    [ThreadStatic] private static char[]? t_prefixed;

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch)
    {
        int from = input.PieceStart[index], n = input.PieceLength[index];
        var writer = new Writer(output);
        PreTokenize(input.Chars.AsSpan(from, n), input.Start.AsSpan(from, n), input.End.AsSpan(from, n), ref writer);
    }

    private readonly struct Writer(PreTokenizedText output) : IPieceWriter
    {
        public void BeginPiece(int origin) => output.BeginPiece(origin);
        public void Append(char c, int start, int end) => output.Append(c, start, end);
        public void EndPiece() => output.EndPiece();
    }

    /// <summary>Reads tokenizer.json's ByteLevel settings (pre-tokenizer, post-processor and decoder share them).</summary>
    public static ByteLevelPreTokenizer FromJson(JsonFields f, System.Text.Json.JsonElement e, string path)
    {
        f.RejectUnknown(e, path, "type", "add_prefix_space", "trim_offsets", "use_regex");
        return new ByteLevelPreTokenizer(f.Bool(e, path, "add_prefix_space") ?? true, f.Bool(e, path, "trim_offsets") ?? true,
            f.Bool(e, path, "use_regex") ?? true);
    }

    /// <summary>
    /// Cuts one piece: <paramref name="chars"/> with per-char original spans <paramref name="start"/>/<paramref name="end"/>.
    /// </summary>
    public void PreTokenize<TWriter>(ReadOnlySpan<char> chars, ReadOnlySpan<int> start, ReadOnlySpan<int> end, ref TWriter output)
        where TWriter : IPieceWriter, allows ref struct
    {
        if (chars.IsEmpty) return;
        // With a prefix space the text is ' ' + chars; index 0 then maps to the first char's span.
        bool prefix = AddPrefixSpace && chars[0] != ' ';
        ReadOnlySpan<char> text = chars;
        if (prefix)
        {
            var buffer = t_prefixed;
            if (buffer is null || buffer.Length < chars.Length + 1) t_prefixed = buffer = new char[Math.Max(chars.Length + 1, 256)];
            buffer[0] = ' ';
            chars.CopyTo(buffer.AsSpan(1));
            text = buffer.AsSpan(0, chars.Length + 1);
        }
        int shift = prefix ? 1 : 0;
        int pos = 0;
        while (pos < text.Length)
        {
            int matchEnd = UseRegex ? Gpt2Pattern.MatchEnd(text, pos) : text.Length;
            int first = Math.Max(pos - shift, 0);
            output.BeginPiece(start[first]);
            WriteBytes(text, pos, matchEnd, shift, start, end, ref output);
            output.EndPiece();
            pos = matchEnd;
        }
    }

    private static void WriteBytes<TWriter>(ReadOnlySpan<char> text, int from, int to, int shift, ReadOnlySpan<int> start,
        ReadOnlySpan<int> end, ref TWriter output) where TWriter : IPieceWriter, allows ref struct
    {
        var alphabet = ByteLevelAlphabet.ByteToChar;
        int i = from;
        while (i < to)
        {
            char c = text[i];
            int source = Math.Max(i - shift, 0);
            if (c < 0x80)
            {
                output.Append(alphabet[c], start[source], end[source]);
                i++;
                continue;
            }
            int cp = c, width = 1;
            if (char.IsHighSurrogate(c) && i + 1 < to && char.IsLowSurrogate(text[i + 1]))
            {
                cp = char.ConvertToUtf32(c, text[i + 1]);
                width = 2;
            }
            else if (char.IsSurrogate(c)) cp = 0xFFFD;
            int s = start[source], e = end[Math.Max(i + width - 1 - shift, 0)];
            if (cp < 0x800)
            {
                output.Append(alphabet[0xC0 | (cp >> 6)], s, e);
                output.Append(alphabet[0x80 | (cp & 0x3F)], s, e);
            }
            else if (cp < 0x10000)
            {
                output.Append(alphabet[0xE0 | (cp >> 12)], s, e);
                output.Append(alphabet[0x80 | ((cp >> 6) & 0x3F)], s, e);
                output.Append(alphabet[0x80 | (cp & 0x3F)], s, e);
            }
            else
            {
                output.Append(alphabet[0xF0 | (cp >> 18)], s, e);
                output.Append(alphabet[0x80 | ((cp >> 12) & 0x3F)], s, e);
                output.Append(alphabet[0x80 | ((cp >> 6) & 0x3F)], s, e);
                output.Append(alphabet[0x80 | (cp & 0x3F)], s, e);
            }
            i += width;
        }
    }
}
