namespace BertSharp.Tokenization;

/// <summary>
/// Per-call encoding options, mirroring transformers' tokenizer(...) arguments. The defaults (special tokens, no
/// truncation, no padding) match <c>tokenizer(text)</c>; the truncation/padding sections of tokenizer.json are not
/// applied implicitly (transformers overrides them per call too) but are available as
/// <see cref="BertTokenizer.ConfiguredOptions"/>.
/// </summary>
public sealed class EncodeOptions
{
    internal static readonly EncodeOptions Default = new();

    /// <summary>A copy (options are mutable; shared instances are handed out as copies).</summary>
    public EncodeOptions Clone() => (EncodeOptions)MemberwiseClone();

    /// <summary>Add the template's special tokens ([CLS] A [SEP] (B [SEP])).</summary>
    public bool AddSpecialTokens { get; set; } = true;

    /// <summary>Length limit (special tokens included) for truncation and for <see cref="PaddingStrategy.MaxLength"/>;
    /// null means the model's max length.</summary>
    public int? MaxLength { get; set; }

    /// <summary>null = no truncation.</summary>
    public TruncationStrategy? Truncation { get; set; }

    public PaddingStrategy Padding { get; set; } = PaddingStrategy.None;

    /// <summary>When padding, round the padded length up to a multiple of this.</summary>
    public int? PadToMultipleOf { get; set; }

    /// <summary>Which end truncation cuts tokens from (transformers' truncation_side).</summary>
    public TruncationSide TruncationSide { get; set; } = TruncationSide.Right;

    /// <summary>Which end padding goes to (transformers' padding_side).</summary>
    public PaddingSide PaddingSide { get; set; } = PaddingSide.Right;
}
