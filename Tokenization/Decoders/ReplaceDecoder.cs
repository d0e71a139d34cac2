using System.Text;
using System.Text.Json;
using BertSharp.Tokenization.Normalizers;
using BertSharp.Tokenization.Pipeline;

namespace BertSharp.Tokenization.Decoders;

/// <summary>Hugging Face's Replace decoder: in each token, every match of the pattern becomes <c>content</c>.</summary>
internal sealed class ReplaceDecoder(ReplacePattern pattern, string content) : IDecoder
{
    public void DecodeChain(List<string> tokens)
    {
        var sb = new StringBuilder();
        for (int t = 0; t < tokens.Count; t++)
        {
            string token = tokens[t];
            if (!pattern.FindNext(token, 0, out int start, out int length)) continue;
            sb.Clear();
            int last = 0;
            while (true)
            {
                sb.Append(token, last, start - last).Append(content);
                last = start + length;
                if (last >= token.Length || !pattern.FindNext(token, last, out start, out length)) break;
            }
            sb.Append(token, last, token.Length - last);
            tokens[t] = sb.ToString();
        }
    }

    public static ReplaceDecoder FromJson(JsonFields f, JsonElement d, string path)
    {
        f.RejectUnknown(d, path, "type", "pattern", "content");
        if (!f.TryGet(d, "pattern", out var p)) throw f.Error(JsonFields.Join(path, "pattern"), "is missing");
        return new ReplaceDecoder(ReplacePattern.FromJson(f, p, JsonFields.Join(path, "pattern")),
            f.String(d, path, "content") ?? throw f.Error(JsonFields.Join(path, "content"), "is missing"));
    }
}
