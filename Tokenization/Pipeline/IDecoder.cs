namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// A decoder of tokenizer.json's "decoder" section (Hugging Face <c>Decoder::decode_chain</c>): rewrites the list of
/// token strings in place; the tokenizer joins the result with "". A null decoder joins tokens with " ".
/// </summary>
internal interface IDecoder
{
    void DecodeChain(List<string> tokens);
}
