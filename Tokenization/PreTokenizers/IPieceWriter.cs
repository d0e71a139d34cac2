namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// Receives the pieces a pre-tokenizer cuts: each piece is opened with its original start, filled with chars each
/// aligned to an original UTF-16 span [start, end), and closed (an empty piece is dropped).
/// </summary>
internal interface IPieceWriter
{
    void BeginPiece(int origin);
    void Append(char c, int start, int end);
    void EndPiece();
}
