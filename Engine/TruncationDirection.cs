namespace BertSharp.Engine;

/// <summary>
/// Which end of a too-long input truncation cuts (Hugging Face tokenizers' truncation direction / transformers'
/// truncation_side). Special tokens ([CLS], [SEP]) are kept either way; only content tokens are removed.
/// </summary>
public enum TruncationDirection
{
    /// <summary>Keep the start of the text, cut its end (the default everywhere).</summary>
    Right,
    /// <summary>Keep the end of the text, cut its start (e.g. the latest turns of a conversation).</summary>
    Left,
}
