using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PostProcessors;

/// <summary>
/// Hugging Face's RobertaProcessing: <c>&lt;s&gt; A &lt;/s&gt;</c> and <c>&lt;s&gt; A &lt;/s&gt; &lt;/s&gt; B &lt;/s&gt;</c>
/// with every type id 0 (also without special tokens), after <see cref="ByteLevelOffsets"/> trimming when
/// <c>trim_offsets</c> (with its <c>add_prefix_space</c>).
/// </summary>
internal sealed class RobertaProcessing : IPostProcessor, IOffsetProcessor
{
    private readonly TemplateProcessor _template;

    public RobertaProcessing((string Token, int Id) cls, (string Token, int Id) sep, bool trimOffsets, bool addPrefixSpace)
    {
        Cls = cls; Sep = sep; TrimOffsets = trimOffsets; AddPrefixSpace = addPrefixSpace;
        var c = TemplateProcessor.Piece.Special([cls.Id], [cls.Token], 0);
        var s = TemplateProcessor.Piece.Special([sep.Id], [sep.Token], 0);
        _template = new TemplateProcessor([c, TemplateProcessor.Piece.Of(0, 0), s],
            [c, TemplateProcessor.Piece.Of(0, 0), s, s, TemplateProcessor.Piece.Of(1, 0), s]);
    }

    public (string Token, int Id) Cls { get; }
    public (string Token, int Id) Sep { get; }
    public bool TrimOffsets { get; }
    public bool AddPrefixSpace { get; }

    public int AddedTokens(bool isPair) => _template.AddedTokens(isPair);

    public Encoding Build(TokenBuffer a, int startA, int lengthA, TokenBuffer? b, int startB, int lengthB, bool addSpecialTokens,
        string[] idToToken, int padTo, bool padLeft, in PadInfo pad)
    {
        var encoding = _template.Build(a, startA, lengthA, b, startB, lengthB, addSpecialTokens, idToToken, padTo, padLeft, pad);
        if (b is not null && !addSpecialTokens)
        {
            // The template gives B type 1 without special tokens; RobertaProcessing sets every type id to 0.
            for (int i = 0; i < encoding.Length; i++)
                if (encoding.SequenceIds[i] == 1) encoding.TypeIds[i] = 0;
        }
        return encoding;
    }

    public int WriteIds(TokenBuffer a, int lengthA, bool addSpecialTokens, Span<int> destination) =>
        _template.WriteIds(a, lengthA, addSpecialTokens, destination);

    public void ProcessOffsets(ReadOnlySpan<char> original, TokenBuffer tokens, int start, int length, string[] idToToken)
    {
        if (TrimOffsets) ByteLevelOffsets.TrimAll(original, tokens, start, length, idToToken, AddPrefixSpace);
    }
}
