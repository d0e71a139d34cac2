using System.Runtime.CompilerServices;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// The wide-activation micro-kernel for any CPU: acc[r, c] = Σ_p x[r, p] · w[c, p] in int32 for int16 x
/// (<see cref="QuantizedWeight.WideActivations"/>), up to <see cref="Int8Gemm.TileRows"/> rows and one 16-column panel.
/// </summary>
internal static unsafe class Int8KernelWidePortable
{
    /// <summary>x: rows × ldx int16 (row r at x + r·ldx); panel: groups × 64 bytes; acc: [rows, 16] int32, overwritten.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Tile(int rows, short* x, nint ldx, sbyte* panel, int groups, int* acc)
    {
        for (int r = 0; r < rows; r++)
        {
            short* xr = x + r * ldx;
            for (int c = 0; c < QuantizedWeight.PanelWidth; c++)
            {
                int sum = 0;
                sbyte* wc = panel + c * 4;
                for (int g = 0; g < groups; g++)
                {
                    short* xg = xr + 4 * g;
                    sbyte* wg = wc + g * QuantizedWeight.GroupBytes;
                    sum += xg[0] * wg[0] + xg[1] * wg[1] + xg[2] * wg[2] + xg[3] * wg[3];
                }
                acc[r * QuantizedWeight.PanelWidth + c] = sum;
            }
        }
    }
}
