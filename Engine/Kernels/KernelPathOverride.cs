namespace BertSharp.Engine.Kernels;

/// <summary>
/// Forces one SIMD path on every kernel of the process, for tests that run the whole model on each path the CPU
/// offers: <see cref="GemmPath.Auto"/> (default) lets each kernel pick the best; Vector256 or Portable also keeps the
/// element-wise kernels (LayerNorm, softmax, GELU) off their Vector512 forms.
/// </summary>
internal static class KernelPathOverride
{
    public static GemmPath Path { get; private set; } = GemmPath.Auto;

    /// <summary>Whether element-wise kernels may use their Vector512 forms.</summary>
    public static bool AllowsVector512 => Path is GemmPath.Auto or GemmPath.Vector512;

    /// <summary>Forces <paramref name="path"/> until the returned scope is disposed (not for concurrent use).</summary>
    public static IDisposable Force(GemmPath path)
    {
        if (!Gemm.IsSupported(path)) throw new PlatformNotSupportedException($"GemmPath.{path} is not supported on this CPU");
        GemmPath previous = Path;
        Path = path;
        return new Scope(previous);
    }

    private sealed class Scope(GemmPath previous) : IDisposable
    {
        public void Dispose() => Path = previous;
    }
}
