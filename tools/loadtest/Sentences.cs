namespace BertSharp.LoadTest;

/// <summary>Distinct single sentences of 8–14 words (10–18 tokens with [CLS]/[SEP]), the same on every run.</summary>
internal static class Sentences
{
    private static readonly string[] Subjects =
        ["the old dog", "a young woman", "my neighbour", "the committee", "a small bird", "the teacher", "our team", "the river"];
    private static readonly string[] Verbs =
        ["quickly crossed", "slowly read", "carefully studied", "happily painted", "loudly discussed", "quietly watched", "finally repaired", "never visited"];
    private static readonly string[] Objects =
        ["the wooden bridge", "a long report", "the new proposal", "an empty house", "the interest rates", "a red bicycle", "the garden wall", "the city museum"];
    private static readonly string[] Endings =
        ["before the storm.", "after lunch.", "near the station.", "in the morning.", "with great care.", "for the first time.", "during the holidays.", "at the bank."];

    public static string[] Make(int count)
    {
        var texts = new string[count];
        for (int i = 0; i < count; i++)
        {
            // Mixed radix over the four lists: consecutive sentences differ in every position.
            int a = i % 8, b = (i / 8 + i) % 8, c = (i / 64 + 3 * i) % 8, d = (i / 512 + 5 * i) % 8;
            texts[i] = $"{Subjects[a]} {Verbs[b]} {Objects[c]} {Endings[d]}";
        }
        return texts;
    }
}
