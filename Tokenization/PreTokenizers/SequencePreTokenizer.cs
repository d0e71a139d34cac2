using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>Hugging Face's pre_tokenizers.Sequence: each pre-tokenizer on every piece the previous one produced.</summary>
internal sealed class SequencePreTokenizer(IPreTokenizer[] preTokenizers) : IPreTokenizer
{
    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch)
    {
        if (preTokenizers.Length == 0) { output.CopyPiece(input, index); return; }
        var current = scratch.Rent();
        current.CopyPiece(input, index);
        for (int k = 0; k < preTokenizers.Length; k++)
        {
            bool last = k == preTokenizers.Length - 1;
            var next = last ? output : scratch.Rent();
            for (int i = 0; i < current.Count; i++)
            {
                if (current.IsToken(i)) next.CopyPiece(current, i);
                else preTokenizers[k].PreTokenize(current, i, next, scratch);
            }
            if (!last)
            {
                // Keep LIFO order: copy next back into current, return next.
                current.Clear();
                for (int i = 0; i < next.Count; i++) current.CopyPiece(next, i);
                scratch.Return(next);
            }
        }
        scratch.Return(current);
    }
}
