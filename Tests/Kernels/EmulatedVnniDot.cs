using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>
/// VPDPBUSD (what <see cref="AvxVnniDot"/> runs) in AVX2 instructions only, so <see cref="Int8KernelBiased256{TDot}"/>
/// can run its AVX-VNNI instantiation's exact code on CPUs without AVX-VNNI: per int32 lane i,
/// acc + Σ_{t&lt;4} u[4i+t] · v[4i+t] with u unsigned and v signed bytes, no saturation (int32 wrap-around as the instruction).
/// </summary>
/// <remarks>
/// Bytes → int16 lanes: u even = u16 &amp; 0x00FF, u odd = u16 >>> 8 (zero-extended, 0..255); v even = (v16 &lt;&lt; 8) >> 8,
/// v odd = v16 >> 8 (sign-extended, -128..127). VPMADDWD of the even lanes gives u0·v0 + u2·v2 per int32 lane, of the odd
/// lanes u1·v1 + u3·v3; each product is in [-32640, 32385], so the pair sums are exact in int32 (VPMADDWD saturates
/// nothing here: only -32768 · -32768 pairs overflow it). Needs AVX2.
/// </remarks>
internal readonly struct EmulatedVnniDot : IInt8Dot256
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<int> Accumulate(Vector256<int> acc, Vector256<byte> u, Vector256<sbyte> v)
    {
        Vector256<short> u16 = u.AsInt16(), v16 = v.AsInt16();
        Vector256<short> uEven = Avx2.And(u16, Vector256.Create((short)0x00FF));
        Vector256<short> uOdd = Avx2.ShiftRightLogical(u16, 8);
        Vector256<short> vEven = Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(v16, 8), 8);
        Vector256<short> vOdd = Avx2.ShiftRightArithmetic(v16, 8);
        return Avx2.Add(Avx2.Add(acc, Avx2.MultiplyAddAdjacent(uEven, vEven)), Avx2.MultiplyAddAdjacent(uOdd, vOdd));
    }
}
