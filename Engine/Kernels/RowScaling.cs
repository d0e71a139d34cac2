using System.Numerics.Tensors;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// y: [rows, k] = x: [rows, k] ⊙ s: [k] (every row multiplied element-wise by the same column factors), rows split
/// across threads in fixed blocks. Each element is one float multiply, so the result does not depend on the thread count.
/// </summary>
public static class RowScaling
{
    private const int BlockRows = 64;
    private const long ParallelThreshold = 1L << 16;

    public static void Apply(ReadOnlySpan<float> x, int rows, int k, ReadOnlySpan<float> s, Span<float> y, int maxThreads = 0)
    {
        if (s.Length != k) throw new ArgumentException($"s has {s.Length} floats, expected [{k}]", nameof(s));
        long n = (long)rows * k;
        if (x.Length < n) throw new ArgumentException($"x has {x.Length} floats, needs [{rows},{k}]", nameof(x));
        if (y.Length < n) throw new ArgumentException($"y has {y.Length} floats, needs [{rows},{k}]", nameof(y));
        if (n < ParallelThreshold || KernelParallel.ResolveThreads(maxThreads) == 1)
        {
            for (int i = 0; i < rows; i++) TensorPrimitives.Multiply(x.Slice(i * k, k), s, y.Slice(i * k, k));
            return;
        }
        unsafe
        {
            fixed (float* px = x, ps = s, py = y)
                KernelParallel.For((rows + BlockRows - 1) / BlockRows, new Blocks(px, ps, py, rows, k), maxThreads);
        }
    }

    private readonly unsafe struct Blocks(float* x, float* s, float* y, int rows, int k) : IParallelPieces
    {
        public void Run(int piece, int slot)
        {
            var scale = new ReadOnlySpan<float>(s, k);
            for (int i = piece * BlockRows, end = Math.Min(rows, i + BlockRows); i < end; i++)
                TensorPrimitives.Multiply(new ReadOnlySpan<float>(x + (long)i * k, k), scale, new Span<float>(y + (long)i * k, k));
        }
    }
}
