using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BertSharp.Weights;

/// <summary>
/// Keeps error messages to one readable line: values taken from a file (names, strings, JSON) are quoted with their
/// control characters escaped and long ones shortened, and whole messages never contain a line break.
/// </summary>
internal static class ErrorText
{
    /// <summary>Longest piece of a file's text quoted into a message.</summary>
    public const int MaxQuoted = 80;

    /// <summary>The message with every control character (CR, LF, tab, …) written as an escape: \n, \u0085, ….</summary>
    public static string OneLine(string message)
    {
        int i = 0;
        while (i < message.Length && !NeedsEscape(message[i])) i++;
        if (i == message.Length) return message;
        var sb = new StringBuilder(message.Length + 16);
        sb.Append(message, 0, i);
        for (; i < message.Length; i++) AppendEscaped(sb, message[i]);
        return sb.ToString();
    }

    /// <summary>A string from a file, escaped and cut to <see cref="MaxQuoted"/> characters ("…" marks the cut).</summary>
    public static string Shorten(string value)
    {
        if (value.Length <= MaxQuoted) return OneLine(value);
        int cut = MaxQuoted;
        if (char.IsHighSurrogate(value[cut - 1])) cut--;
        return OneLine(value[..cut]) + "…";
    }

    /// <summary>A JSON value as a short one-line description: numbers and strings as written, containers by kind and size.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => Shorten(value.GetRawText()),
        JsonValueKind.String => "\"" + Shorten(value.GetString()!) + "\"",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => $"an array of {value.GetArrayLength().ToString(CultureInfo.InvariantCulture)} element(s)",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    private static bool NeedsEscape(char c) => char.IsControl(c) || c is '\u2028' or '\u2029';

    private static void AppendEscaped(StringBuilder sb, char c)
    {
        switch (c)
        {
            case '\n': sb.Append("\\n"); break;
            case '\r': sb.Append("\\r"); break;
            case '\t': sb.Append("\\t"); break;
            default:
                if (NeedsEscape(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else sb.Append(c);
                break;
        }
    }
}
