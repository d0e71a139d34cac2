using System.Text.Json;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// What a split does with each delimiter match (Hugging Face <c>SplitDelimiterBehavior</c>, serialized by name):
/// Removed drops it, Isolated makes it its own piece, MergedWithPrevious / MergedWithNext glue it to the non-match
/// before / after it, Contiguous makes each run of adjacent matches one piece.
/// </summary>
internal enum SplitBehavior { Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous }

internal static class SplitBehaviorJson
{
    /// <summary>Reads field <paramref name="name"/> of <paramref name="p"/>; <paramref name="fallback"/> null: required.</summary>
    public static SplitBehavior Read(JsonFields f, JsonElement p, string path, string name, SplitBehavior? fallback)
    {
        string? value = f.String(p, path, name);
        if (value is null) return fallback ?? throw f.Error(JsonFields.Join(path, name), "is missing");
        return value switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw f.Error(JsonFields.Join(path, name),
                $"'{value}' is not supported (Removed, Isolated, MergedWithPrevious, MergedWithNext or Contiguous)"),
        };
    }
}
