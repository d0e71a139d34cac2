namespace BertSharp.Tokenization;

/// <summary>Which end of a sequence truncation removes tokens from (transformers' <c>truncation_side</c>).</summary>
public enum TruncationSide
{
    /// <summary>Keep the first tokens (the default).</summary>
    Right,
    /// <summary>Keep the last tokens.</summary>
    Left,
}
