namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// A sequence cut into pieces (Hugging Face <c>PreTokenizedString</c>): all pieces' chars back to back, each char
/// aligned to its original UTF-16 span [Start, End) in the sequence's string; per piece its first char, length,
/// original start (the Rust split's <c>original_shift</c>) and, for an added token already matched, its id, original
/// end and text (null: the vocabulary entry). Reusable: <see cref="Clear"/> and refill; grows, never shrinks.
/// </summary>
internal sealed class PreTokenizedText
{
    public char[] Chars = new char[256];
    public int[] Start = new int[256];
    public int[] End = new int[256];
    public int Length;

    public int[] PieceStart = new int[32];
    public int[] PieceLength = new int[32];
    public int[] PieceOrigin = new int[32];
    /// <summary>Added-token id of the piece, or -1 for text still to tokenize.</summary>
    public int[] PieceToken = new int[32];
    /// <summary>Added-token pieces: original end (their start is <see cref="PieceOrigin"/>).</summary>
    public int[] PieceTokenEnd = new int[32];
    public string?[] PieceText = new string?[32];
    public int Count;

    private int _open = -1, _openOrigin;

    public void Clear() { Length = 0; Count = 0; _open = -1; }

    public ReadOnlySpan<char> Piece(int index) => Chars.AsSpan(PieceStart[index], PieceLength[index]);

    public bool IsToken(int index) => PieceToken[index] >= 0;

    /// <summary>Starts a text piece whose Rust <c>original_shift</c> is <paramref name="origin"/>.</summary>
    public void BeginPiece(int origin) { _open = Length; _openOrigin = origin; }

    /// <summary>Appends one UTF-16 char aligned to the original span [start, end).</summary>
    public void Append(char c, int start, int end)
    {
        if (Length == Chars.Length) GrowChars(Length + 1);
        Chars[Length] = c; Start[Length] = start; End[Length] = end; Length++;
    }

    /// <summary>Appends chars [from, to) of piece storage <paramref name="source"/> with their alignments.</summary>
    public void AppendRange(PreTokenizedText source, int from, int to)
    {
        int n = to - from;
        if (Length + n > Chars.Length) GrowChars(Length + n);
        source.Chars.AsSpan(from, n).CopyTo(Chars.AsSpan(Length));
        source.Start.AsSpan(from, n).CopyTo(Start.AsSpan(Length));
        source.End.AsSpan(from, n).CopyTo(End.AsSpan(Length));
        Length += n;
    }

    /// <summary>Appends chars [from, to) of a normalized text with their alignments.</summary>
    public void AppendRange(NormalizedText source, int from, int to)
    {
        int n = to - from;
        if (Length + n > Chars.Length) GrowChars(Length + n);
        source.Chars.AsSpan(from, n).CopyTo(Chars.AsSpan(Length));
        source.Start.AsSpan(from, n).CopyTo(Start.AsSpan(Length));
        source.End.AsSpan(from, n).CopyTo(End.AsSpan(Length));
        Length += n;
    }

    /// <summary>Ends the open piece; an empty piece is dropped (the Rust library filters empty splits).</summary>
    public void EndPiece()
    {
        if (_open < 0) throw new InvalidOperationException("no open piece");
        if (Length > _open) AddPiece(_open, Length - _open, _openOrigin, -1, 0, null);
        _open = -1;
    }

    /// <summary>Adds an added token matched at original [start, end); <paramref name="text"/> null means its content.</summary>
    public void AddToken(int id, int start, int end, string? text) => AddPiece(Length, 0, start, id, end, text);

    /// <summary>Copies piece <paramref name="index"/> of <paramref name="source"/> unchanged.</summary>
    public void CopyPiece(PreTokenizedText source, int index)
    {
        if (source.IsToken(index))
        {
            AddToken(source.PieceToken[index], source.PieceOrigin[index], source.PieceTokenEnd[index], source.PieceText[index]);
            return;
        }
        BeginPiece(source.PieceOrigin[index]);
        AppendRange(source, source.PieceStart[index], source.PieceStart[index] + source.PieceLength[index]);
        EndPiece();
    }

    private void AddPiece(int start, int length, int origin, int token, int tokenEnd, string? text)
    {
        if (Count == PieceStart.Length)
        {
            int n = Count * 2;
            Array.Resize(ref PieceStart, n); Array.Resize(ref PieceLength, n); Array.Resize(ref PieceOrigin, n);
            Array.Resize(ref PieceToken, n); Array.Resize(ref PieceTokenEnd, n); Array.Resize(ref PieceText, n);
        }
        PieceStart[Count] = start; PieceLength[Count] = length; PieceOrigin[Count] = origin;
        PieceToken[Count] = token; PieceTokenEnd[Count] = tokenEnd; PieceText[Count] = text;
        Count++;
    }

    private void GrowChars(int capacity)
    {
        int n = Math.Max(capacity, Chars.Length * 2);
        Array.Resize(ref Chars, n); Array.Resize(ref Start, n); Array.Resize(ref End, n);
    }
}
