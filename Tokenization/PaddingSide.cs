namespace BertSharp.Tokenization;

/// <summary>Which end padding tokens go to (transformers' <c>padding_side</c>).</summary>
public enum PaddingSide
{
    /// <summary>After the tokens (the default).</summary>
    Right,
    /// <summary>Before the tokens.</summary>
    Left,
}
