using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>
/// Hugging Face's BertNormalizer as a pipeline step: runs <see cref="BertNormalizer"/> over the text and maps its
/// in-text spans back through the text's alignments (exact when it comes first, as in every BERT tokenizer.json).
/// </summary>
internal sealed class BertNormalizerStep(BertNormalizer normalizer) : INormalizer
{
    public BertNormalizer Normalizer { get; } = normalizer;

    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        scratch.Clear();
        Normalizer.Normalize(text.Span, 0, scratch, TokenizerWorkspace.Current.NormalizerScratch);
        for (int i = 0; i < scratch.Length; i++)
        {
            int s = scratch.Start[i], e = scratch.End[i];
            scratch.Start[i] = text.Start[s];
            scratch.End[i] = e > s ? text.End[e - 1] : text.Start[s];
        }
        text.SwapWith(scratch);
    }
}
