using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Models;

/// <summary>Hugging Face's WordPiece model as a pipeline step (<see cref="WordPieceModel"/>: greedy longest match, "##" continuations).</summary>
internal sealed class WordPieceStep(WordPieceModel model, int vocabSize, string?[] idToToken) : ITokenModel
{
    public WordPieceModel Model { get; } = model;
    public int VocabSize { get; } = vocabSize;
    public int UnkId => Model.UnkId;

    public static WordPieceStep Create(WordPieceModel model)
    {
        // id -> token: the vocabulary's own token array when it lists ids 0..n-1 in order, else a copy with null gaps.
        if (model.Vocab.TryGetTokensById(out string[] dense)) return new WordPieceStep(model, dense.Length, dense);
        int size = model.Vocab.IdLimit;
        var idToToken = new string?[size];
        model.Vocab.CopyTokensById(idToToken);
        return new WordPieceStep(model, size, idToToken);
    }

    public void Tokenize(ReadOnlySpan<char> piece, ModelTokens output)
    {
        var sink = new Sink(output);
        Model.Tokenize(piece, ref sink);
    }

    public int? TokenToId(string token) => Model.TokenToId(token);

    public string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    private readonly ref struct Sink(ModelTokens output) : IPieceSink
    {
        public int Count => output.Count;
        public void Add(int id, int start, int end) => output.Add(id, start, end);
        public void Truncate(int count) => output.Count = count;
    }
}
