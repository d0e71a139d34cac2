using System.Text;

namespace BertSharp.Tests.Tokenization;

/// <summary>
/// Seeded adversarial strings for differential tests: random code points of all planes (lone surrogates included),
/// vocabulary words with combining marks, punctuation, CJK, emoji and odd spaces, long words and texts, and
/// special-token literals. The same seed gives the same corpus.
/// </summary>
internal sealed class FuzzCorpus
{
    // Marks of every combining class, old and new (post-Unicode 8.0 marks included), spacing marks with a class.
    private static readonly int[] Marks =
        [0x300, 0x301, 0x302, 0x308, 0x315, 0x321, 0x323, 0x327, 0x328, 0x334, 0x335, 0x337, 0x345, 0x34F, 0x35F, 0x362, 0x5AE, 0x5B0,
         0x64B, 0x670, 0x93C, 0x94D, 0xE48, 0xF71, 0xF72, 0xF74, 0xF80, 0x1AC7, 0x1ABE, 0x1BAA, 0x1DF6, 0x1DFA, 0x20D2, 0x20DD, 0x3099,
         0xA953, 0xFE20, 0xFE2E, 0x101FD, 0x1D165, 0x1D167, 0x1D16E, 0x1E944, 0x11C3F, 0x16AF0, 0x1734, 0x0897, 0x08D3, 0x1171E, 0x111C9];
    private static readonly int[] Punctuation =
        ['!', '"', '#', '$', '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', ':', ';', '<', '=', '>', '?', '@', '[', '\\', ']', '^',
         '_', '`', '{', '|', '}', '~', 0xA1, 0xA7, 0xAB, 0xB6, 0xB7, 0xBF, 0x37E, 0x387, 0x55A, 0x589, 0x5BE, 0x61D, 0x66A, 0x964, 0x9FD,
         0xF14, 0x166D, 0x1800, 0x2010, 0x2014, 0x2018, 0x201C, 0x2026, 0x2030, 0x2E2F, 0x2E3B, 0x2E43, 0x2E4F, 0x2E52, 0x3001, 0x3002,
         0x300C, 0xFE10, 0xFF01, 0xFF0C, 0xFF61, 0x111C9, 0x11A3F, 0x1E95E, 0x16E97];
    private static readonly int[] Spaces =
        [' ', '\t', '\n', '\r', 0xB, 0xC, 0x85, 0xA0, 0x1680, 0x180E, 0x2000, 0x2001, 0x2007, 0x2009, 0x200A, 0x200B, 0x200C, 0x200D,
         0x2028, 0x2029, 0x202F, 0x205F, 0x2060, 0x3000, 0xFEFF, 0x0, 0x1, 0x7F, 0x9F, 0xAD, 0x600, 0x8E2, 0x61C, 0xFFF9, 0xFFFD,
         0xE000, 0xF8FF, 0xE0001, 0xE0041, 0x1BCA0, 0x110BD, 0x13430, 0xF0000, 0x10FFFD];
    private static readonly int[] Cjk =
        [0x4E2D, 0x6587, 0x9FFF, 0x3400, 0x4DBF, 0xF900, 0xFA6D, 0xFAFF, 0x20000, 0x2A6DF, 0x2A700, 0x2B740, 0x2B81F, 0x2B820, 0x2B91F,
         0x2B920, 0x2CEAF, 0x2CEB0, 0x2F800, 0x2FA1F, 0x30000, 0x3007, 0x3041, 0x30A2, 0xAC00, 0xD4DB, 0x1100, 0x1161, 0x11A8, 0x3131];
    private static readonly int[] Emoji =
        [0x1F600, 0x1F468, 0x1F469, 0x1F3FB, 0x1F1FA, 0x1F1F8, 0xFE0F, 0x200D, 0x2764, 0x1F44D, 0x1FAE8, 0x20E3, 0x1F9D1, 0xE0067];
    private static readonly int[] Letters =
        [0xC0, 0xC5, 0xC7, 0xE9, 0xF1, 0xDF, 0x130, 0x131, 0x149, 0x1C4, 0x1C5, 0x1F0, 0x390, 0x3A3, 0x3C2, 0x3A9, 0x1E9E, 0x212A, 0x2126,
         0x1E09, 0x1F82, 0x1FB3, 0xFB01, 0x10400, 0x1E900, 0x10D50, 0xA7CB, 0xA7DC, 0x1C89, 0x16EA0, 0x0CCA, 0x0DDA, 0x1B3B, 0x2ADC];
    private static readonly string[] SpecialLiterals =
        ["[CLS]", "[SEP]", "[MASK]", "[PAD]", "[UNK]", "[mask]", "[ MASK]", "[MASK", "MASK]", "[[MASK]]", "[unused1]", "[CLS][SEP]"];

    private readonly Random _rng;
    private readonly string[] _words;

    public FuzzCorpus(int seed, IReadOnlyList<string> vocabulary)
    {
        _rng = new Random(seed);
        _words = vocabulary.Where(w => w.Length > 0 && !w.StartsWith("[", StringComparison.Ordinal)).Select(w => w.StartsWith("##", StringComparison.Ordinal) ? w[2..] : w)
            .Where(w => w.Length > 0).ToArray();
    }

    /// <summary>One generated text.</summary>
    public string Next()
    {
        var sb = new StringBuilder();
        switch (_rng.Next(8))
        {
            case 0: RandomCodePoints(sb, _rng.Next(1, 40)); break;
            case 1:
            case 2:
            case 3: Sentence(sb, _rng.Next(1, 16)); break;
            case 4: LongWord(sb); break;
            case 5: SpecialTokens(sb); break;
            case 6: Mixed(sb, _rng.Next(1, 60)); break;
            default: MarkStorm(sb); break;
        }
        return sb.ToString();
    }

    /// <summary>A second text for a pair, or null (about one record in four is a pair).</summary>
    public string? NextPair() => _rng.Next(4) == 0 ? Next() : null;

    private void Append(StringBuilder sb, int cp)
    {
        if (cp is >= 0xD800 and <= 0xDFFF) sb.Append((char)cp);
        else sb.Append(char.ConvertFromUtf32(cp));
    }

    private int Pick(int[] pool) => pool[_rng.Next(pool.Length)];

    private int RandomCodePoint()
    {
        switch (_rng.Next(10))
        {
            case 0: case 1: return _rng.Next(0x20, 0x7F);
            case 2: case 3: case 4:
                int c = _rng.Next(0x80, 0x10000);
                // A lone surrogate for one draw in eight that land in the surrogate range.
                return c is >= 0xD800 and <= 0xDFFF && _rng.Next(8) != 0 ? c - 0x5000 : c;
            case 5: return _rng.Next(0x10000, 0x20000);
            case 6: return _rng.Next(0x20000, 0x40000);
            case 7: return _rng.Next(0x40000, 0x110000);
            default: return Pick(Marks);
        }
    }

    private void RandomCodePoints(StringBuilder sb, int n)
    {
        for (int i = 0; i < n; i++) Append(sb, RandomCodePoint());
    }

    private string Word()
    {
        string w = _words[_rng.Next(_words.Length)];
        return _rng.Next(6) switch
        {
            0 => w.ToUpperInvariant(),
            1 => char.ToUpperInvariant(w[0]) + w[1..],
            _ => w,
        };
    }

    private void Decorated(StringBuilder sb)
    {
        string w = Word();
        foreach (char c in w)
        {
            sb.Append(c);
            if (_rng.Next(8) == 0) Append(sb, Pick(Marks));
            if (_rng.Next(30) == 0) Append(sb, Pick(Letters));
            if (_rng.Next(40) == 0) Append(sb, Pick(Spaces));
        }
        if (_rng.Next(5) == 0) Append(sb, Pick(Punctuation));
    }

    private void Sentence(StringBuilder sb, int words)
    {
        for (int i = 0; i < words; i++)
        {
            if (i > 0) Append(sb, _rng.Next(6) == 0 ? Pick(Spaces) : ' ');
            switch (_rng.Next(10))
            {
                case 0: Append(sb, Pick(Cjk)); Append(sb, Pick(Cjk)); break;
                case 1: Append(sb, Pick(Emoji)); break;
                case 2: Append(sb, Pick(Punctuation)); sb.Append(Word()); break;
                default: Decorated(sb); break;
            }
        }
    }

    private void LongWord(StringBuilder sb)
    {
        switch (_rng.Next(3))
        {
            case 0:
                string w = Word();
                int times = _rng.Next(20, 60);
                for (int i = 0; i < times; i++) sb.Append(w);
                break;
            case 1:
                int n = _rng.Next(95, 106);
                for (int i = 0; i < n; i++) Append(sb, _rng.Next(3) == 0 ? Pick(Letters) : _rng.Next('a', 'z' + 1));
                break;
            default:
                Sentence(sb, _rng.Next(300, 700));
                break;
        }
    }

    private void SpecialTokens(StringBuilder sb)
    {
        int n = _rng.Next(1, 6);
        for (int i = 0; i < n; i++)
        {
            if (_rng.Next(2) == 0) sb.Append(Word());
            if (_rng.Next(3) == 0) sb.Append(' ');
            sb.Append(SpecialLiterals[_rng.Next(SpecialLiterals.Length)]);
            if (_rng.Next(4) == 0) Append(sb, Pick(Marks));
            if (_rng.Next(3) == 0) sb.Append(' ');
        }
    }

    private void Mixed(StringBuilder sb, int n)
    {
        for (int i = 0; i < n; i++)
        {
            int cp = _rng.Next(8) switch
            {
                0 => Pick(Marks), 1 => Pick(Punctuation), 2 => Pick(Spaces), 3 => Pick(Cjk), 4 => Pick(Emoji), 5 => Pick(Letters),
                6 => RandomCodePoint(), _ => _rng.Next('a', 'z' + 1),
            };
            Append(sb, cp);
        }
    }

    private void MarkStorm(StringBuilder sb)
    {
        int n = _rng.Next(1, 6);
        for (int i = 0; i < n; i++)
        {
            Append(sb, _rng.Next(3) == 0 ? Pick(Letters) : _rng.Next('a', 'z' + 1));
            int marks = _rng.Next(0, 8);
            for (int k = 0; k < marks; k++) Append(sb, _rng.Next(5) == 0 ? Pick(Spaces) : Pick(Marks));
        }
    }
}
