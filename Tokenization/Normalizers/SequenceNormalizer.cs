using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Normalizers;

/// <summary>Hugging Face's normalizers.Sequence: each normalizer in turn on the result of the previous one.</summary>
internal sealed class SequenceNormalizer(INormalizer[] normalizers) : INormalizer
{
    public void Normalize(NormalizedText text, NormalizedText scratch)
    {
        foreach (var n in normalizers) n.Normalize(text, scratch);
    }
}
