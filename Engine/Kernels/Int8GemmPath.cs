namespace BertSharp.Engine.Kernels;

/// <summary>Which micro-kernel <see cref="Int8Gemm"/> runs. Tests force each one; users leave it at <see cref="Auto"/>.</summary>
/// <remarks>Every path computes the same exact int32 dot products, so all paths give bit-identical results.</remarks>
public enum Int8GemmPath
{
    /// <summary>The fastest path the CPU supports: AvxVnni, else Avx512BW, else Avx2, else ArmDot, else Portable.</summary>
    Auto,
    /// <summary>x64 AVX-VNNI (256-bit VPDPBUSD, u8 × s8 → int32 in one instruction) on biased activations xq + 128 and w, any weight range.</summary>
    AvxVnni,
    /// <summary>
    /// x64 AVX2, 256-bit. Reduced-range weights: VPMADDUBSW (u8 xq + 128 × s8 w → int16 pairs, never saturating) +
    /// VPMADDWD (→ int32). Full-range weights: the same with VPSIGNB (|xq| × w·sign(xq)), about 1.7× slower.
    /// </summary>
    Avx2,
    /// <summary>ARM64 dot product (SDOT, s8 × s8 → int32).</summary>
    ArmDot,
    /// <summary>Scalar integer math: any CPU.</summary>
    Portable,
    /// <summary>
    /// x64 AVX-512BW, 512-bit (JIT only: x86-64-v3 NativeAOT binaries have no AVX-512): the biased VPMADDUBSW kernel on
    /// reduced-range weights, one zmm per 16-column group, up to 8 rows; full-range weights run the Avx2 sign kernel.
    /// </summary>
    Avx512BW,
}
