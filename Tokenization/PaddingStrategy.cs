namespace BertSharp.Tokenization;

/// <summary>Padding with the pad token, attention mask 0, on <see cref="EncodeOptions.PaddingSide"/>.</summary>
public enum PaddingStrategy
{
    /// <summary>No padding.</summary>
    None,
    /// <summary>Pad to the longest encoding of the batch (a single Encode: its own length).</summary>
    Longest,
    /// <summary>Pad to <see cref="EncodeOptions.MaxLength"/> (or the model's max length when that is null).</summary>
    MaxLength,
}
