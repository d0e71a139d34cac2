namespace BertSharp.Tokenization;

/// <summary>Everything a loader reads from the model folder; <see cref="BertTokenizer"/> is built from it.</summary>
internal sealed class TokenizerSettings
{
    /// <summary>Where the settings came from, for error messages (e.g. ".../tokenizer.json").</summary>
    public string Source = "";
    /// <summary>token -> id; the loaders replace this empty table.</summary>
    public VocabTable Vocab = new VocabTable.Builder(0).ToTable();
    public string UnkToken = "[UNK]";
    public string ContinuingSubwordPrefix = "##";
    public int MaxInputCharsPerWord = 100;

    public bool CleanText = true;
    public bool HandleChineseChars = true;
    public bool? StripAccents;
    public bool Lowercase = true;
    /// <summary>False when tokenizer.json has "normalizer": null.</summary>
    public bool HasNormalizer = true;

    public List<AddedToken> AddedTokens = new();
    /// <summary>null: the default BERT template built from the [CLS]/[SEP] names.</summary>
    public TemplateProcessor? Template;
    /// <summary>null: join tokens with spaces.</summary>
    public WordPieceDecoder? Decoder = new("##", true);

    public EncodeOptions? ConfiguredOptions;
    public int? ConfiguredPadId, ConfiguredPadTypeId;
    public string? ConfiguredPadToken;
    public int? ModelMaxLength;

    // Names of the special tokens (tokenizer_config.json / special_tokens_map.json, else the BERT defaults).
    public string ClsToken = "[CLS]", SepToken = "[SEP]", PadToken = "[PAD]", MaskToken = "[MASK]";
}
