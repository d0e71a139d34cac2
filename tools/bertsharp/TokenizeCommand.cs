using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using BertSharp.Tokenization;

namespace BertSharp.Cli;

/// <summary>
/// bertsharp tokenize --model DIR [--max-length N] [--truncation longest_first|only_first|only_second] [--padding longest|max_length]
///   [--truncation-side left|right] [--padding-side left|right]
/// Reads JSON Lines {"text": "...", "text_pair": "..."} from stdin; writes per line
/// {"ids", "tokens", "type_ids", "attention_mask", "offsets" ([[start, end], ...] UTF-16), "word_ids" (null for specials)}.
/// Truncation happens only with --truncation; padding only with --padding (tokenizer.json's own sections are not applied).
/// </summary>
public static class TokenizeCommand
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var cli = new CliArgs(args, ["--model", "--max-length", "--truncation", "--padding", "--truncation-side", "--padding-side"], []);
        if (cli.Positional.Count > 0) throw new CliUsageException($"unexpected argument '{cli.Positional[0]}'");
        string model = ModelOptions.ModelFolder(cli, stderr);
        int? maxLength = cli.GetInt("--max-length");
        if (maxLength is < 0) throw new CliUsageException("--max-length must not be negative");
        TruncationStrategy? truncation = cli.Get("--truncation") switch
        {
            null => null,
            "longest_first" => TruncationStrategy.LongestFirst,
            "only_first" => TruncationStrategy.OnlyFirst,
            "only_second" => TruncationStrategy.OnlySecond,
            var s => throw new CliUsageException($"--truncation must be longest_first, only_first or only_second, got '{s}'"),
        };
        var padding = cli.Get("--padding") switch
        {
            null => PaddingStrategy.None,
            "longest" => PaddingStrategy.Longest,
            "max_length" => PaddingStrategy.MaxLength,
            var s => throw new CliUsageException($"--padding must be longest or max_length, got '{s}'"),
        };
        if (padding == PaddingStrategy.MaxLength && maxLength is null) throw new CliUsageException("--padding max_length needs --max-length");
        var truncationSide = cli.Get("--truncation-side") switch
        {
            null or "right" => TruncationSide.Right,
            "left" => TruncationSide.Left,
            var s => throw new CliUsageException($"--truncation-side must be left or right, got '{s}'"),
        };
        var paddingSide = cli.Get("--padding-side") switch
        {
            null or "right" => PaddingSide.Right,
            "left" => PaddingSide.Left,
            var s => throw new CliUsageException($"--padding-side must be left or right, got '{s}'"),
        };
        var options = new EncodeOptions { MaxLength = maxLength, Truncation = truncation, Padding = padding, TruncationSide = truncationSide, PaddingSide = paddingSide };

        var tokenizer = BertTokenizer.FromDirectory(model);
        var buffer = new ArrayBufferWriter<byte>();
        var writerOptions = new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

        if (padding == PaddingStrategy.Longest)
        {
            // Longest padding needs the whole batch first.
            var texts = new List<string>();
            var pairs = new List<string?>();
            foreach (var (_, text, pair) in ReadLines(stdin)) { texts.Add(text); pairs.Add(pair); }
            foreach (var encoding in tokenizer.EncodeBatch(texts, pairs, options)) Write(encoding, buffer, writerOptions, stdout);
        }
        else
        {
            foreach (var (lineNumber, text, pair) in ReadLines(stdin))
            {
                Encoding encoding;
                try { encoding = tokenizer.Encode(text, pair, options); }
                catch (TokenizerException e) { throw new TokenizerException($"stdin line {lineNumber}: {e.Message}", e); }
                Write(encoding, buffer, writerOptions, stdout);
            }
        }
        stdout.Flush();
        return 0;
    }

    /// <summary>The non-empty stdin lines as (line number, text, text_pair).</summary>
    private static IEnumerable<(int Line, string Text, string? Pair)> ReadLines(TextReader stdin)
    {
        int lineNumber = 0;
        string? line;
        while ((line = stdin.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;   // blank lines are not records, as in every command
            var (text, pair) = ParseLine(line, lineNumber);
            yield return (lineNumber, text, pair);
        }
    }

    private static (string Text, string? Pair) ParseLine(string line, int lineNumber)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new TokenizerException($"stdin line {lineNumber}: expected a JSON object {{\"text\": ...}}");
            foreach (var p in root.EnumerateObject())
                if (p.Name is not ("text" or "text_pair"))
                    throw new TokenizerException($"stdin line {lineNumber}: unknown field '{p.Name}' (expected text, text_pair)");
            if (!root.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                throw new TokenizerException($"stdin line {lineNumber}: field 'text' must be a string");
            string? pair = null;
            if (root.TryGetProperty("text_pair", out var p2) && p2.ValueKind != JsonValueKind.Null)
            {
                if (p2.ValueKind != JsonValueKind.String) throw new TokenizerException($"stdin line {lineNumber}: field 'text_pair' must be a string or null");
                pair = Decode(p2, "text_pair", lineNumber);
            }
            return (Decode(text, "text", lineNumber), pair);
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"stdin line {lineNumber}: invalid JSON: {e.Message}", e);
        }
    }

    /// <summary>A JSON string's value; a lone surrogate escape is an error naming the line and field, worded as in every command.</summary>
    private static string Decode(JsonElement value, string field, int lineNumber)
    {
        try { return value.GetString()!; }
        catch (InvalidOperationException e) { throw new TokenizerException($"stdin line {lineNumber}: {JsonLines.LoneSurrogateMessage(field)}", e); }
    }

    private static void Write(Encoding e, ArrayBufferWriter<byte> buffer, JsonWriterOptions options, TextWriter stdout)
    {
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer, options))
        {
            w.WriteStartObject();
            WriteInts(w, "ids", e.Ids);
            w.WriteStartArray("tokens");
            foreach (string t in e.Tokens) w.WriteStringValue(t);
            w.WriteEndArray();
            WriteInts(w, "type_ids", e.TypeIds);
            WriteInts(w, "attention_mask", e.AttentionMask);
            w.WriteStartArray("offsets");
            foreach (var (start, end) in e.Offsets)
            {
                w.WriteStartArray();
                w.WriteNumberValue(start);
                w.WriteNumberValue(end);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteStartArray("word_ids");
            foreach (int? id in e.WordIds)
            {
                if (id is { } v) w.WriteNumberValue(v);
                else w.WriteNullValue();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        stdout.Write(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        stdout.Write('\n');
    }

    private static void WriteInts(Utf8JsonWriter w, string name, int[] values)
    {
        w.WriteStartArray(name);
        foreach (int v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
