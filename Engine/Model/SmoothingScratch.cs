namespace BertSharp.Engine.Model;

/// <summary>
/// Per-thread buffer for a linear layer's SmoothQuant-scaled input (<see cref="Linear"/>): x ⊙ (1/s), [rows, in].
/// Kept for the thread's next call (grown with 25% headroom), so same-sized passes allocate nothing.
/// </summary>
internal static class SmoothingScratch
{
    [ThreadStatic] private static float[]? t_buffer;

    public static Span<float> Rent(int length)
    {
        if (t_buffer is not { } b || b.Length < length)
            t_buffer = b = GC.AllocateUninitializedArray<float>((int)Math.Min(Array.MaxLength, length + (long)length / 4));
        return b.AsSpan(0, length);
    }
}
