using System.Text.Json;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Decoders;

/// <summary>
/// Hugging Face's Strip decoder: from each token, removes up to <c>start</c> leading and <c>stop</c> trailing chars
/// equal to <c>content</c>.
/// </summary>
internal sealed class StripDecoder(char content, int start, int stop) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        for (int t = 0; t < tokens.Count; t++)
        {
            string token = tokens[t];
            int from = 0, to = token.Length;
            while (from < start && from < to && token[from] == content) from++;
            int removed = 0;
            while (removed < stop && to > from && token[to - 1] == content) { to--; removed++; }
            if (from != 0 || to != token.Length) tokens[t] = token[from..to];
        }
    }

    public static StripDecoder FromJson(JsonFields f, JsonElement d, string path)
    {
        f.RejectUnknown(d, path, "type", "content", "start", "stop");
        string content = f.String(d, path, "content") ?? throw f.Error(JsonFields.Join(path, "content"), "is missing");
        if (content.Length != 1) throw f.Error(JsonFields.Join(path, "content"), $"must be one BMP char, got \"{content}\"");
        int start = f.Int(d, path, "start") ?? throw f.Error(JsonFields.Join(path, "start"), "is missing");
        int stop = f.Int(d, path, "stop") ?? throw f.Error(JsonFields.Join(path, "stop"), "is missing");
        if (start < 0 || stop < 0) throw f.Error(path, "start and stop must not be negative");
        return new StripDecoder(content[0], start, stop);
    }
}
