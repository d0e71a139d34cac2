namespace BertSharp.Engine.Kernels;

/// <summary>Which micro-kernel <see cref="Int8Gemm"/> runs. Tests force each one; users leave it at <see cref="Auto"/>.</summary>
/// <remarks>Every path computes the same exact int32 dot products, so all paths give bit-identical results.</remarks>
public enum Int8GemmPath
{
    /// <summary>The fastest path the CPU supports: AvxVnni, else Avx2, else ArmDot, else Portable.</summary>
    Auto,
    /// <summary>x64 AVX-VNNI (256-bit VPDPBUSD, u8 × s8 → int32 in one instruction); |x| and sign-applied w as for Avx2.</summary>
    AvxVnni,
    /// <summary>x64 AVX2: VPSIGNB + VPMADDUBSW (u8 × s8 → int16 pairs, never saturating) + VPMADDWD (→ int32).</summary>
    Avx2,
    /// <summary>ARM64 dot product (SDOT, s8 × s8 → int32).</summary>
    ArmDot,
    /// <summary>Scalar integer math: any CPU.</summary>
    Portable,
}
