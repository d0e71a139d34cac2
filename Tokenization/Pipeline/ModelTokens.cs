namespace BertSharp.Tokenization.Pipeline;

/// <summary>
/// What a model writes for one piece: id, [start, end) in the piece's UTF-16 chars, and a text only when it differs
/// from the vocabulary entry of the id. Reusable scratch: <see cref="Clear"/> and refill.
/// </summary>
internal sealed class ModelTokens
{
    public int[] Ids = new int[64];
    public int[] Start = new int[64];
    public int[] End = new int[64];
    public string?[] Texts = new string?[64];
    public int Count;

    /// <summary>Free work buffers for the model (e.g. Unigram's Viterbi lattice); grow with <see cref="Ensure"/>, never shrink.</summary>
    public double[] WorkScores = new double[256];
    public int[] WorkInts = new int[256];
    public int[] WorkInts2 = new int[256];

    /// <summary>Makes each work buffer hold at least <paramref name="n"/> elements.</summary>
    public void Ensure(int n)
    {
        if (WorkScores.Length >= n) return;
        int size = Math.Max(n, WorkScores.Length * 2);
        WorkScores = new double[size]; WorkInts = new int[size]; WorkInts2 = new int[size];
    }

    public void Clear()
    {
        // Texts are rarely set; clear only what was used so no string outlives its call.
        Array.Clear(Texts, 0, Count);
        Count = 0;
    }

    public void Add(int id, int start, int end, string? text = null)
    {
        if (Count == Ids.Length)
        {
            int n = Count * 2;
            Array.Resize(ref Ids, n); Array.Resize(ref Start, n); Array.Resize(ref End, n); Array.Resize(ref Texts, n);
        }
        Ids[Count] = id; Start[Count] = start; End[Count] = end; Texts[Count] = text;
        Count++;
    }
}
