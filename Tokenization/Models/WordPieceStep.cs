using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Models;

/// <summary>Hugging Face's WordPiece model as a pipeline step (<see cref="WordPieceModel"/>: greedy longest match, "##" continuations).</summary>
internal sealed class WordPieceStep(WordPieceModel model, int vocabSize, string[] idToToken) : ITokenModel
{
    public WordPieceModel Model { get; } = model;
    public int VocabSize { get; } = vocabSize;
    public int UnkId => Model.UnkId;

    public static WordPieceStep Create(WordPieceModel model)
    {
        int size = 0;
        foreach (int id in model.Vocab.Values) size = Math.Max(size, id + 1);
        var idToToken = new string[size];
        foreach (var (token, id) in model.Vocab) idToToken[id] = token;
        return new WordPieceStep(model, size, idToToken);
    }

    public void Tokenize(ReadOnlySpan<char> piece, ModelTokens output)
    {
        var sink = new Sink(output);
        Model.Tokenize(piece, ref sink);
    }

    public int? TokenToId(string token) => Model.Vocab.TryGetValue(token, out int id) ? id : null;

    public string? IdToToken(int id) => (uint)id < (uint)idToToken.Length ? idToToken[id] : null;

    private readonly ref struct Sink(ModelTokens output) : IPieceSink
    {
        public int Count => output.Count;
        public void Add(int id, int start, int end) => output.Add(id, start, end);
        public void Truncate(int count) => output.Count = count;
    }
}
