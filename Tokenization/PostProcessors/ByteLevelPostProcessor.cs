using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PostProcessors;

/// <summary>
/// Hugging Face's ByteLevel as a post-processor: no special tokens (A type 0, B type 1), offsets trimmed by
/// <see cref="ByteLevelOffsets"/> when <c>trim_offsets</c>.
/// </summary>
internal sealed class ByteLevelPostProcessor(bool trimOffsets, bool addPrefixSpace) : IPostProcessor, IOffsetProcessor
{
    public bool TrimOffsets { get; } = trimOffsets;
    public bool AddPrefixSpace { get; } = addPrefixSpace;

    public int AddedTokens(bool isPair) => 0;

    public Encoding Build(TokenBuffer a, int startA, int lengthA, TokenBuffer? b, int startB, int lengthB, bool addSpecialTokens,
        string[] idToToken, int padTo, bool padLeft, in PadInfo pad) =>
        TemplateProcessor.None.Build(a, startA, lengthA, b, startB, lengthB, addSpecialTokens, idToToken, padTo, padLeft, pad);

    public int WriteIds(TokenBuffer a, int lengthA, bool addSpecialTokens, Span<int> destination) =>
        TemplateProcessor.None.WriteIds(a, lengthA, addSpecialTokens, destination);

    public void ProcessOffsets(ReadOnlySpan<char> original, TokenBuffer tokens, int start, int length, string[] idToToken)
    {
        if (TrimOffsets) ByteLevelOffsets.TrimAll(original, tokens, start, length, idToToken, AddPrefixSpace);
    }
}
