namespace BertSharp.Tokenization;

/// <summary>
/// Normalized text with its alignment to the original: for each normalized UTF-16 char i, the original
/// UTF-16 span [Start[i], End[i]) it came from (a decomposed or lowercased char keeps its source's span).
/// A reusable buffer: <see cref="Clear"/> and refill; grows, never shrinks.
/// </summary>
internal sealed class NormalizedText
{
    public char[] Chars = new char[256];
    public int[] Start = new int[256];
    public int[] End = new int[256];
    public int Length;

    public ReadOnlySpan<char> Span => Chars.AsSpan(0, Length);

    public void Clear() => Length = 0;

    public void EnsureCapacity(int capacity)
    {
        if (capacity <= Chars.Length) return;
        int n = Math.Max(capacity, Chars.Length * 2);
        Array.Resize(ref Chars, n);
        Array.Resize(ref Start, n);
        Array.Resize(ref End, n);
    }

    /// <summary>Appends one UTF-16 char aligned to the original span [start, end).</summary>
    public void AppendChar(char c, int start, int end)
    {
        if (Length == Chars.Length) EnsureCapacity(Length + 1);
        Chars[Length] = c; Start[Length] = start; End[Length] = end; Length++;
    }

    /// <summary>Exchanges contents with <paramref name="other"/> (a normalizer writes into scratch, then swaps).</summary>
    public void SwapWith(NormalizedText other)
    {
        (Chars, other.Chars) = (other.Chars, Chars);
        (Start, other.Start) = (other.Start, Start);
        (End, other.End) = (other.End, End);
        (Length, other.Length) = (other.Length, Length);
    }

    /// <summary>Appends one code point (one or two UTF-16 chars) aligned to the original span [start, end).</summary>
    public void Append(int codePoint, int start, int end)
    {
        if (Length + 2 > Chars.Length) EnsureCapacity(Length + 2);
        if (codePoint < 0x10000)
        {
            Chars[Length] = (char)codePoint; Start[Length] = start; End[Length] = end; Length++;
        }
        else
        {
            int v = codePoint - 0x10000;
            Chars[Length] = (char)(0xD800 + (v >> 10)); Start[Length] = start; End[Length] = end; Length++;
            Chars[Length] = (char)(0xDC00 + (v & 0x3FF)); Start[Length] = start; End[Length] = end; Length++;
        }
    }
}
