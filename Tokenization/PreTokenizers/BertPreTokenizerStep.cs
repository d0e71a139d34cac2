using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>Hugging Face's BertPreTokenizer as a pipeline step (<see cref="BertPreTokenizer"/>: split on White_Space, isolate punctuation).</summary>
internal sealed class BertPreTokenizerStep : IPreTokenizer
{
    public static readonly BertPreTokenizerStep Instance = new();

    public void PreTokenize(PreTokenizedText input, int index, PreTokenizedText output, PipelineScratch scratch)
    {
        int first = input.PieceStart[index];
        foreach (var (start, end) in BertPreTokenizer.Split(input.Piece(index)))
        {
            output.BeginPiece(input.Start[first + start]);
            output.AppendRange(input, first + start, first + end);
            output.EndPiece();
        }
    }
}
