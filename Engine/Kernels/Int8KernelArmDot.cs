using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// The ARM64 int8 micro-kernel: SDOT (s8 × s8, 4 products summed into each int32 lane, exact) — acc[r, c] =
/// Σ_p x[r, p] · w[c, p] for one row at a time and one 16-column panel (four Vector128 of 4 columns).
/// </summary>
internal static unsafe class Int8KernelArmDot
{
    /// <summary>x: rows × ldx bytes; panel: groups × 64 bytes; acc: [rows, 16] int32, overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, sbyte* x, nint ldx, sbyte* panel, int groups, int* acc)
    {
        for (int r = 0; r < rows; r++)
        {
            sbyte* xr = x + r * ldx;
            Vector128<int> a0 = default, a1 = default, a2 = default, a3 = default;
            for (int g = 0; g < groups; g++)
            {
                sbyte* wg = panel + g * QuantizedWeight.GroupBytes;
                Vector128<sbyte> b = Vector128.Create(Unsafe.ReadUnaligned<int>(xr + 4 * g)).AsSByte();
                a0 = Dp.DotProduct(a0, b, AdvSimd.LoadVector128(wg));
                a1 = Dp.DotProduct(a1, b, AdvSimd.LoadVector128(wg + 16));
                a2 = Dp.DotProduct(a2, b, AdvSimd.LoadVector128(wg + 32));
                a3 = Dp.DotProduct(a3, b, AdvSimd.LoadVector128(wg + 48));
            }
            int* ar = acc + r * QuantizedWeight.PanelWidth;
            AdvSimd.Store(ar, a0); AdvSimd.Store(ar + 4, a1); AdvSimd.Store(ar + 8, a2); AdvSimd.Store(ar + 12, a3);
        }
    }
}
