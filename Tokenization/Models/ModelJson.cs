using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Models;

/// <summary>
/// Reads tokenizer.json's "model" (dispatch on "type"). A new model plugs in as one more case of
/// <see cref="Read"/> (and its name in <see cref="Supported"/>); every error names the JSON path.
/// </summary>
internal static class ModelJson
{
    public const string Supported = "WordPiece, Unigram, BPE, WordLevel";

    public static ITokenModel Read(JsonFields f, JsonElement m, string path)
    {
        f.Object(m, path);
        string? type = f.String(m, path, "type");
        switch (type)
        {
            case "WordPiece":
                return ReadWordPiece(f, m, path);
            case "Unigram":
                return UnigramModel.FromJson(f, m, path);
            case "BPE":
                return BpeModelJson.Read(f, m, path);
            case "WordLevel":
                return WordLevelModel.FromJson(f, m, path);
            default:
                throw f.Error(JsonFields.Join(path, "type"), type is null ? "is missing" : $"'{type}' is not supported (supported: {Supported})");
        }
    }

    private static WordPieceStep ReadWordPiece(JsonFields f, JsonElement m, string path)
    {
        f.RejectUnknown(m, path, "type", "unk_token", "continuing_subword_prefix", "max_input_chars_per_word", "vocab");
        string unk = f.String(m, path, "unk_token") ?? "[UNK]";
        string prefix = f.String(m, path, "continuing_subword_prefix") ?? "##";
        int maxChars = f.Int(m, path, "max_input_chars_per_word") ?? 100;
        if (maxChars < 0) throw f.Error(JsonFields.Join(path, "max_input_chars_per_word"), "must not be negative");
        string vocabPath = JsonFields.Join(path, "vocab");
        if (!f.TryGet(m, "vocab", out var vocab)) throw f.Error(vocabPath, "is missing");
        f.Object(vocab, vocabPath);
        return WordPieceStep.Create(new WordPieceModel(f.VocabObject(vocab, vocabPath), unk, prefix, maxChars, f.File));
    }
}
