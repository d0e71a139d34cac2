using System.Text.Json;

namespace BertSharp.Server;

/// <summary>One input of an embedding request: a text, or token ids the client tokenized (run as given).</summary>
internal readonly record struct InputItem(string? Text, int[]? Ids);

/// <summary>
/// Reads TEI's and OpenAI's embedding "inputs"/"input": a string; a list of token ids (one input); or a list whose
/// items are strings or token-id lists (a batch) — TEI router/src/http/types.rs Input / InputType, OpenAI's
/// string | string[] | int[] | int[][]. Wrong types are 400 naming the field and index.
/// </summary>
internal static class InputItems
{
    public static InputItem[] Read(JsonElement value, string field)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                return [new InputItem(value.GetString()!, null)];
            case JsonValueKind.Array:
                int n = value.GetArrayLength();
                if (n > 0 && value[0].ValueKind == JsonValueKind.Number) return [new InputItem(null, Ids(value, field))];
                var items = new InputItem[n];
                int i = 0;
                foreach (JsonElement item in value.EnumerateArray())
                {
                    items[i] = item.ValueKind switch
                    {
                        JsonValueKind.String => new InputItem(item.GetString()!, null),
                        JsonValueKind.Array => new InputItem(null, Ids(item, $"{field}[{i}]")),
                        _ => throw ApiException.BadRequest($"{field}[{i}] must be a string or a list of token ids, not {InputList.Kind(item.ValueKind)}"),
                    };
                    i++;
                }
                return items;
            case JsonValueKind.Undefined:
                throw ApiException.BadRequest($"missing field `{field}`");
            default:
                throw ApiException.BadRequest($"{field} must be a string, a list of strings or token-id lists, not {InputList.Kind(value.ValueKind)}");
        }
    }

    /// <summary>A JSON list of non-negative 32-bit integers.</summary>
    public static int[] Ids(JsonElement list, string field)
    {
        var ids = new int[list.GetArrayLength()];
        int k = 0;
        foreach (JsonElement x in list.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.Number || !x.TryGetInt32(out int id) || id < 0)
                throw ApiException.BadRequest($"{field}[{k}] must be a token id (an integer ≥ 0), not {(x.ValueKind == JsonValueKind.Number ? x.GetRawText() : InputList.Kind(x.ValueKind))}");
            ids[k++] = id;
        }
        return ids;
    }
}
