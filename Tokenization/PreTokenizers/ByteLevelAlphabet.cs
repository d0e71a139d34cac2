namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// GPT-2's bytes-to-unicode map (Hugging Face <c>bytes_char</c>): the printable bytes ! .. ~, U+00A1 .. U+00AC and
/// U+00AE .. U+00FF stand for themselves; the other 68 bytes, in order, become U+0100 + n (space -> 'Ġ' U+0120,
/// newline -> 'Ċ' U+010A). Every alphabet char is in the BMP, below U+0144.
/// </summary>
internal static class ByteLevelAlphabet
{
    /// <summary>byte -> alphabet char.</summary>
    public static readonly char[] ByteToChar = BuildByteToChar();

    /// <summary>alphabet char (&lt; <see cref="CharLimit"/>) -> byte, or -1 for chars outside the alphabet.</summary>
    public static readonly short[] CharToByte = BuildCharToByte();

    public const int CharLimit = 0x144;

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++) map[b] = IsPrintable(b) ? (char)b : (char)(256 + n++);
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[CharLimit];
        Array.Fill(map, (short)-1);
        var forward = BuildByteToChar();
        for (int b = 0; b < 256; b++) map[forward[b]] = (short)b;
        return map;
    }

    /// <summary>The byte <paramref name="c"/> stands for, or -1 when it is not an alphabet char.</summary>
    public static int ToByte(char c) => c < CharLimit ? CharToByte[c] : -1;
}
