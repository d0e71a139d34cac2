using BertSharp.Tokenization.Pipeline;
using BertSharp.Tokenization.PreTokenizers;

namespace BertSharp.Tokenization.Decoders;

/// <summary>
/// Hugging Face's Metaspace decoder: the replacement becomes ' ', except in the first token when the prepend scheme
/// is not "never" (there it is dropped).
/// </summary>
internal sealed class MetaspaceDecoder(char replacement, PrependScheme scheme) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (token.IndexOf(replacement) < 0) continue;
            tokens[i] = i == 0 && scheme != PrependScheme.Never
                ? token.Replace(replacement.ToString(), "", StringComparison.Ordinal)
                : token.Replace(replacement, ' ');
        }
    }
}
