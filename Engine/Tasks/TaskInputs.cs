using BertSharp.Tokenization;

namespace BertSharp.Engine.Tasks;

/// <summary>Tokenizes pipeline inputs with the model's tokenizer and rejects texts longer than the model's positions.</summary>
internal static class TaskInputs
{
    public static (BertBatch Batch, Encoding[] Encodings) Encode(BertModel model, IReadOnlyList<string> texts, IReadOnlyList<string?>? pairs)
    {
        BertTokenizer tokenizer = model.RequireTokenizer();
        if (pairs is not null && pairs.Count != texts.Count)
            throw new BertInputException($"{texts.Count} texts but {pairs.Count} text pairs");
        var encodings = new Encoding[texts.Count];
        for (int i = 0; i < texts.Count; i++)
        {
            Encoding e = tokenizer.Encode(texts[i] ?? throw new BertInputException($"text {i} is null"), pairs?[i]);
            if (e.Ids.Length > model.Config.MaxTokens)
                throw new BertInputException($"text {i} has {e.Ids.Length} tokens but the model accepts at most {model.Config.MaxTokens} (max_position_embeddings)");
            encodings[i] = e;
        }
        return (BertBatch.FromEncodings(encodings, tokenizer.PadTokenId), encodings);
    }
}
