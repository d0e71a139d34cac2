using System.Text.Json;

namespace BertSharp.Engine;

/// <summary>
/// One record of a JSON Lines corpus: its 1-based line number in the file, and either its "text" or, for a bad line,
/// why it is bad (Text null).
/// </summary>
public readonly record struct CorpusLine(int Line, string? Text, string? Error)
{
    public bool IsBad => Text is null;
}

/// <summary>
/// Reads a JSON Lines corpus ({"text": ...} per line, other fields ignored) one line at a time, for
/// <see cref="StreamingEmbedder"/>. Blank lines are not records; every other line is a record, good or bad, so
/// embedding rows and corpus rows (`bertsharp embed --input`, `bertsharp search --corpus`) are counted by the same rule.
/// </summary>
public static class CorpusReader
{
    public static IEnumerable<CorpusLine> Read(TextReader reader)
    {
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            yield return Parse(line, lineNumber);
        }
    }

    public static CorpusLine Parse(string line, int lineNumber)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return new(lineNumber, null, "expected a JSON object {\"text\": ...}");
            if (!root.TryGetProperty("text", out JsonElement text)) return new(lineNumber, null, "no \"text\" field");
            if (text.ValueKind != JsonValueKind.String) return new(lineNumber, null, "field \"text\" must be a string");
            return new(lineNumber, text.GetString()!, null);
        }
        catch (JsonException e)
        {
            return new(lineNumber, null, $"not valid JSON ({e.Message})");
        }
    }

    /// <summary>Opens a corpus file as UTF-8 (a byte-order mark is honoured), buffered for streaming.</summary>
    public static TextReader Open(string path) =>
        new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
}
