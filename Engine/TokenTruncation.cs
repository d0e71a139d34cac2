namespace BertSharp.Engine;

/// <summary>
/// Truncation of an already tokenized single sequence at the id level: content tokens are removed from the chosen end
/// until it fits; special tokens (mask 1) stay where they are. For a single text under a [CLS] $A [SEP] style template
/// this equals tokenizing with truncation (the tokenizer cuts the content before adding the specials).
/// </summary>
public static class TokenTruncation
{
    /// <summary>
    /// Keeps at most <paramref name="maxLength"/> tokens of ids/typeIds (both [length]); specials[i] != 0 marks a token
    /// that is never removed. Returns the kept ids, type ids and how many tokens were removed before the first kept
    /// content token (the left cut).
    /// </summary>
    public static (int[] Ids, int[] TypeIds, int RemovedAtStart) Truncate(ReadOnlySpan<int> ids, ReadOnlySpan<int> typeIds,
        ReadOnlySpan<int> specials, int maxLength, TruncationDirection direction)
    {
        if (typeIds.Length != ids.Length || specials.Length != ids.Length)
            throw new ArgumentException($"{ids.Length} ids, {typeIds.Length} type ids, {specials.Length} special flags");
        if (ids.Length <= maxLength) return (ids.ToArray(), typeIds.ToArray(), 0);
        int specialCount = 0;
        foreach (int s in specials) specialCount += s != 0 ? 1 : 0;
        if (specialCount >= maxLength)
            throw new BertInputException($"maximum length {maxLength} leaves no room for a token beside the {specialCount} special tokens");
        int remove = ids.Length - maxLength;
        var keep = new bool[ids.Length];
        keep.AsSpan().Fill(true);
        int removedAtStart = 0;
        if (direction == TruncationDirection.Right)
        {
            for (int i = ids.Length - 1; i >= 0 && remove > 0; i--)
                if (specials[i] == 0) { keep[i] = false; remove--; }
        }
        else
        {
            for (int i = 0; i < ids.Length && remove > 0; i++)
                if (specials[i] == 0) { keep[i] = false; remove--; removedAtStart++; }
        }
        var outIds = new int[maxLength];
        var outTypes = new int[maxLength];
        int k = 0;
        for (int i = 0; i < ids.Length; i++)
            if (keep[i]) { outIds[k] = ids[i]; outTypes[k] = typeIds[i]; k++; }
        return (outIds, outTypes, removedAtStart);
    }
}
