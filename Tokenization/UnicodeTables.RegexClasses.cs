namespace BertSharp.Tokenization;

internal static partial class UnicodeTables
{
    /// <summary>The GPT-2 pattern class of one code point (0..0x10FFFF); a lone surrogate is Other, like U+FFFD.</summary>
    internal static RegexClass GetRegexClass(int codePoint)
    {
        int block = RegexClassIndex[codePoint >> BlockShift];
        return (RegexClass)RegexClassBlocks[(block << BlockShift) | (codePoint & BlockMask)];
    }
}
