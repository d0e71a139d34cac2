using System.Text.Json;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// The pattern of Hugging Face's Replace ({"String": s} or {"Regex": r}), matched by hand so no regex engine is needed
/// (NativeAOT-clean). A Regex is a sequence of atoms — a literal char, an escaped char, <c>\s</c> (White_Space),
/// <c>\d</c> (ASCII digit) or <c>.</c> (any char but \n) — each optionally followed by a greedy <c>+</c>, <c>*</c>,
/// <c>?</c>, <c>{n}</c>, <c>{n,}</c> or <c>{n,m}</c>; this covers the forms hub checkpoints use (e.g. " {2,}").
/// Anything else (alternation, groups, classes, anchors), or a pattern that can match "", is refused at load.
/// Matches are leftmost-first and non-overlapping, as Rust's <c>find_iter</c>.
/// </summary>
internal sealed class ReplacePattern
{
    private enum Kind : byte { Char, Whitespace, Digit, Any }
    private readonly record struct Atom(Kind Kind, char Char, int Min, int Max);
    private readonly Atom[] _atoms;
    private readonly string? _literal;

    private ReplacePattern(string? literal, Atom[] atoms) { _literal = literal; _atoms = atoms; }

    public static ReplacePattern FromJson(JsonFields f, JsonElement p, string path)
    {
        f.Object(p, path);
        f.RejectUnknown(p, path, "String", "Regex");
        if (f.String(p, path, "String") is { } s)
        {
            if (s.Length == 0) throw f.Error(JsonFields.Join(path, "String"), "must not be empty");
            return new ReplacePattern(s, []);
        }
        if (f.String(p, path, "Regex") is { } r) return new ReplacePattern(null, ParseRegex(f, r, JsonFields.Join(path, "Regex")));
        throw f.Error(path, "must hold String or Regex");
    }

    private static Atom[] ParseRegex(JsonFields f, string r, string path)
    {
        var atoms = new List<Atom>();
        int i = 0;
        while (i < r.Length)
        {
            char c = r[i++];
            Atom atom;
            if (c == '\\')
            {
                if (i == r.Length) throw f.Error(path, $"\"{r}\" ends with a lone backslash");
                char e = r[i++];
                atom = e switch
                {
                    's' => new Atom(Kind.Whitespace, '\0', 1, 1),
                    'd' => new Atom(Kind.Digit, '\0', 1, 1),
                    't' => new Atom(Kind.Char, '\t', 1, 1),
                    'n' => new Atom(Kind.Char, '\n', 1, 1),
                    'r' => new Atom(Kind.Char, '\r', 1, 1),
                    _ when !char.IsAsciiLetterOrDigit(e) => new Atom(Kind.Char, e, 1, 1),
                    _ => throw f.Error(path, $"\"{r}\": the escape \\{e} is not supported (supported regex: literal chars, \\s, \\d, ., quantifiers)"),
                };
            }
            else if (c == '.') atom = new Atom(Kind.Any, '\0', 1, 1);
            else if ("()[]|^$+*?{}".Contains(c))
                throw f.Error(path, $"\"{r}\": '{c}' at {i - 1} is not supported (supported regex: literal chars, \\s, \\d, ., quantifiers)");
            else atom = new Atom(Kind.Char, c, 1, 1);
            if (i < r.Length && r[i] is '+' or '*' or '?' or '{')
            {
                char q = r[i++];
                int min, max;
                if (q == '+') (min, max) = (1, int.MaxValue);
                else if (q == '*') (min, max) = (0, int.MaxValue);
                else if (q == '?') (min, max) = (0, 1);
                else
                {
                    int close = r.IndexOf('}', i);
                    if (close < 0) throw f.Error(path, $"\"{r}\": unclosed {{");
                    string[] parts = r[i..close].Split(',');
                    if (parts.Length > 2 || !int.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out min))
                        throw f.Error(path, $"\"{r}\": bad quantifier {{{r[i..close]}}}");
                    if (parts.Length == 1) max = min;
                    else if (parts[1].Length == 0) max = int.MaxValue;
                    else if (!int.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out max) || max < min)
                        throw f.Error(path, $"\"{r}\": bad quantifier {{{r[i..close]}}}");
                    i = close + 1;
                }
                if (i < r.Length && r[i] is '?' or '+') throw f.Error(path, $"\"{r}\": lazy or possessive quantifiers are not supported");
                atom = atom with { Min = min, Max = max };
            }
            atoms.Add(atom);
        }
        int minLength = 0;
        foreach (var a in atoms) minLength += a.Min;
        if (minLength == 0) throw f.Error(path, $"\"{r}\" can match the empty string, which is not supported");
        return atoms.ToArray();
    }

    /// <summary>The first match at or after <paramref name="from"/>: its start and length; false when none.</summary>
    public bool FindNext(ReadOnlySpan<char> text, int from, out int start, out int length)
    {
        if (_literal is not null)
        {
            int k = text[from..].IndexOf(_literal, StringComparison.Ordinal);
            start = k < 0 ? -1 : from + k;
            length = _literal.Length;
            return k >= 0;
        }
        for (int s = from; s < text.Length; s++)
        {
            if (char.IsLowSurrogate(text[s]) && s > 0 && char.IsHighSurrogate(text[s - 1])) continue;
            int end = MatchAt(text, s, 0);
            if (end >= 0) { start = s; length = end - s; return true; }
        }
        start = length = 0;
        return false;
    }

    /// <summary>Greedy backtracking match of atoms[atom..] at <paramref name="pos"/>; the end, or -1. Allocates nothing.</summary>
    private int MatchAt(ReadOnlySpan<char> text, int pos, int atom)
    {
        if (atom == _atoms.Length) return pos;
        var a = _atoms[atom];
        int count = 0, p = pos;
        while (count < a.Max && p < text.Length && Matches(a, text, p, out int width)) { p += width; count++; }
        for (int n = count; n >= a.Min; n--)
        {
            int end = MatchAt(text, p, atom + 1);
            if (end >= 0) return end;
            // Give back the last char taken (only '.' can have taken a surrogate pair).
            if (n > 0) p -= a.Kind == Kind.Any && p - 2 >= pos && char.IsLowSurrogate(text[p - 1]) && char.IsHighSurrogate(text[p - 2]) ? 2 : 1;
        }
        return -1;
    }

    private static bool Matches(Atom a, ReadOnlySpan<char> text, int p, out int width)
    {
        char c = text[p];
        width = char.IsHighSurrogate(c) && p + 1 < text.Length && char.IsLowSurrogate(text[p + 1]) ? 2 : 1;
        return a.Kind switch
        {
            Kind.Char => width == 1 && c == a.Char,
            Kind.Whitespace => width == 1 && !char.IsSurrogate(c) && (UnicodeTables.GetFlags(c) & CharFlags.Whitespace) != 0,
            Kind.Digit => char.IsAsciiDigit(c),
            _ => c != '\n',
        };
    }
}
