using System.Text;
using System.Text.Json;

namespace BertSharp.Cli;

/// <summary>JSON Lines helpers: read one object per line (reflection-free), write one object per line.</summary>
public static class JsonLines
{
    /// <summary>Yields (line number, parsed object) for each non-blank line; bad JSON is an error naming the line.</summary>
    public static IEnumerable<(int Line, JsonElement Value)> Read(TextReader reader)
    {
        int lineNumber = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonDocument doc;
            try { doc = JsonDocument.Parse(line); }
            catch (JsonException e) { throw new CliUsageException($"stdin line {lineNumber}: not valid JSON ({e.Message})"); }
            using (doc)
            {
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                    throw new CliUsageException($"stdin line {lineNumber}: expected a JSON object");
                yield return (lineNumber, doc.RootElement.Clone());
            }
        }
    }

    /// <summary>A required string property, or a usage error naming the line and field.</summary>
    public static string RequireString(JsonElement obj, string name, int line)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind != JsonValueKind.String)
            throw new CliUsageException($"stdin line {line}: field \"{name}\" must be a string");
        return Text(v, name, line);
    }

    /// <summary>An optional string property (absent or null → null).</summary>
    public static string? OptionalString(JsonElement obj, string name, int line)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.String) throw new CliUsageException($"stdin line {line}: field \"{name}\" must be a string");
        return Text(v, name, line);
    }

    /// <summary>
    /// The string value; a lone surrogate escape ("\ud800" without its pair) is not Unicode text and cannot be
    /// tokenized: an error naming the line and field, the same in every command (<see cref="LoneSurrogateMessage"/>).
    /// </summary>
    public static string Text(JsonElement value, string name, int line)
    {
        try { return value.GetString()!; }
        catch (InvalidOperationException) { throw new CliUsageException($"stdin line {line}: {LoneSurrogateMessage(name)}"); }
    }

    /// <summary>Why a JSON string with an unpaired \uD800–\uDFFF escape is refused.</summary>
    public static string LoneSurrogateMessage(string field) =>
        $"field \"{field}\" holds a lone surrogate escape (\\uD800–\\uDFFF without its pair), which is not Unicode text";

    /// <summary>
    /// A field this command does not use but another reads (e.g. "text_pair" for embed): present with any value but
    /// null (which means absent, as in the commands that read it), it is an error naming the line, not silently ignored.
    /// </summary>
    public static void RejectField(JsonElement obj, string name, int line, string why)
    {
        if (obj.TryGetProperty(name, out JsonElement v) && v.ValueKind != JsonValueKind.Null)
            throw new CliUsageException($"stdin line {line}: field \"{name}\" is not supported here: {why}");
    }

    /// <summary>An optional array of integers.</summary>
    public static int[]? OptionalInts(JsonElement obj, string name, int line)
    {
        if (!obj.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null) return null;
        if (v.ValueKind != JsonValueKind.Array) throw new CliUsageException($"stdin line {line}: field \"{name}\" must be an array of integers");
        var result = new int[v.GetArrayLength()];
        int i = 0;
        foreach (JsonElement e in v.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt32(out result[i]))
                throw new CliUsageException($"stdin line {line}: {name}[{i}] is not a 32-bit integer");
            i++;
        }
        return result;
    }

    /// <summary>A required, non-empty array of integers (null, absent and [] are errors naming the line and field).</summary>
    public static int[] RequireInts(JsonElement obj, string name, int line)
    {
        int[]? values = OptionalInts(obj, name, line);
        if (values is null || values.Length == 0)
            throw new CliUsageException($"stdin line {line}: field \"{name}\" must be a non-empty array of integers, found {(values is null ? "null" : "[]")}");
        return values;
    }

    /// <summary>Writes one JSON object built by <paramref name="body"/> and a newline.</summary>
    public static void WriteObject(TextWriter output, Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        output.Write(Encoding.UTF8.GetString(buffer.WrittenSpan));
        output.Write('\n');
    }

    public static void WriteFloats(Utf8JsonWriter w, string name, ReadOnlySpan<float> values)
    {
        w.WriteStartArray(name);
        foreach (float v in values) w.WriteNumberValue(v);
        w.WriteEndArray();
    }
}
