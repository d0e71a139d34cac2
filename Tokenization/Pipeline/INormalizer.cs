namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// A normalizer of tokenizer.json's "normalizer" section (Hugging Face <c>Normalizer</c>). It rewrites
/// <c>text</c> (UTF-16 chars, each aligned to the original span it came from) and must leave its result
/// in <c>text</c>; <c>scratch</c> is a free buffer of the same kind (write into it, then
/// <see cref="NormalizedText.SwapWith"/>). Alignment rule, as the Rust <c>NormalizedString::transform</c>: a char that
/// replaces an input char takes that char's span; an inserted char takes the span of the input char before it.
/// Implementations are immutable and thread-safe; per-call state lives in the buffers.
/// </summary>
internal interface INormalizer
{
    void Normalize(NormalizedText text, NormalizedText scratch);
}
