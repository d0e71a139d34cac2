using System.Text.Json;

namespace BertSharp.Server;

/// <summary>Reads the "string or list of strings" input fields of TEI and OpenAI bodies; wrong types are 400 naming the field.</summary>
internal static class InputList
{
    /// <summary>The texts of <paramref name="value"/> (routes that take text only; embedding routes read <see cref="InputItems"/>).</summary>
    public static string[] Read(JsonElement value, string field)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return [value.GetString()!];
            case JsonValueKind.Array:
                var texts = new string[value.GetArrayLength()];
                int i = 0;
                foreach (JsonElement item in value.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.String) { texts[i++] = item.GetString()!; continue; }
                    throw ApiException.BadRequest($"{field}[{i}] must be a string, not {Kind(item.ValueKind)}");
                }
                return texts;
            case JsonValueKind.Undefined:
                throw ApiException.BadRequest($"missing field `{field}`");
            default:
                throw ApiException.BadRequest($"{field} must be a string or a list of strings, not {Kind(value.ValueKind)}");
        }
    }

    public static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
