using BertSharp.Engine;

namespace BertSharp.Server;

/// <summary>Request fields shared by several routes, read as TEI reads them.</summary>
internal static class RequestFields
{
    /// <summary>TEI's truncation_direction: Right (default) or Left, either case (serde aliases); anything else is 422.</summary>
    public static TruncationDirection Direction(string? value) => value switch
    {
        null or "Right" or "right" => TruncationDirection.Right,
        "Left" or "left" => TruncationDirection.Left,
        _ => throw ApiException.Validation($"truncation_direction must be Right or Left, not '{value}'"),
    };
}
