using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// Hugging Face's Whitespace (pre_tokenizers/whitespace.rs): the regex-crate pattern <c>\w+|[^\w\s]+</c>, inverted and
/// Removed — so the pieces are the maximal runs of word chars (Unicode 16.0 <c>\w</c>) and the maximal runs of
/// other non-White_Space chars, and White_Space goes. A lone surrogate is U+FFFD (neither \w nor \s).
/// </summary>
internal sealed class WhitespacePreTokenizer : IPreTokenizer
{
    public static readonly WhitespacePreTokenizer Instance = new();

    private enum Kind { Word, Space, Other }

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch)
    {
        var text = input.Piece(index);
        int first = input.PieceStart[index];
        int i = 0;
        while (i < text.Length)
        {
            int runStart = i;
            var kind = KindAt(text, i, out int width);
            i += width;
            while (i < text.Length && KindAt(text, i, out width) == kind) i += width;
            if (kind == Kind.Space) continue;
            output.BeginPiece(input.Start[first + runStart]);
            output.AppendRange(input, first + runStart, first + i);
            output.EndPiece();
        }
    }

    private static Kind KindAt(ReadOnlySpan<char> text, int i, out int width)
    {
        int cp = CodePointSplit.CodePointAt(text, i, out width);
        if (UnicodeTables.IsWordChar(cp)) return Kind.Word;
        return (UnicodeTables.GetFlags(cp) & CharFlags.Whitespace) != 0 ? Kind.Space : Kind.Other;
    }
}
