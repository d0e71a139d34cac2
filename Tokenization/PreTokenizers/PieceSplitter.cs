using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.PreTokenizers;

/// <summary>
/// Hugging Face's <c>NormalizedString::split</c> over one piece: fed the pattern's segments in order (char ranges
/// [start, end) relative to the piece, tiling it, each a match or not), it writes the pieces the behavior makes to
/// <c>output</c>, each char keeping its original span; empty pieces vanish as in Rust. <see cref="Finish"/> at the end.
/// </summary>
internal ref struct PieceSplitter(PreTokenizedText input, int index, PreTokenizedText output, SplitBehavior behavior)
{
    private readonly int _first = input.PieceStart[index];
    private int _start, _end;
    private bool _pending, _pendingMatch, _previousMatch;

    public void Add(int start, int end, bool isMatch)
    {
        switch (behavior)
        {
            case SplitBehavior.Isolated:
                Emit(start, end);
                break;
            case SplitBehavior.Removed:
                if (!isMatch) Emit(start, end);
                break;
            case SplitBehavior.Contiguous:
                if (_pending && _pendingMatch == isMatch) _end = end;
                else Pend(start, end, isMatch);
                break;
            case SplitBehavior.MergedWithPrevious:
                if (isMatch && _pending && !_previousMatch) _end = end;
                else Pend(start, end, isMatch);
                _previousMatch = isMatch;
                break;
            case SplitBehavior.MergedWithNext:
                // A match followed by a non-match joins it (Rust folds from the back: a match before a non-match).
                if (!isMatch && _pending && _pendingMatch) { _end = end; _pendingMatch = false; }
                else Pend(start, end, isMatch);
                break;
        }
    }

    public void Finish()
    {
        if (_pending) Emit(_start, _end);
        _pending = false;
    }

    private void Pend(int start, int end, bool isMatch)
    {
        if (_pending) Emit(_start, _end);
        _start = start; _end = end; _pendingMatch = isMatch; _pending = true;
    }

    private void Emit(int start, int end)
    {
        if (end <= start) return;
        output.BeginPiece(input.Start[_first + start]);
        output.AppendRange(input, _first + start, _first + end);
        output.EndPiece();
    }
}
