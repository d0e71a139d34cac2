using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>RowTilePacker (x rows → the [kc, rows] layout the GEMM micro-kernels read) against the obvious loop.</summary>
public class RowTilePackerTests
{
    [Test]
    public unsafe void PacksEveryRowCountAndLeavesTheRestAlone([Range(1, 12)] int rows, [Values(1, 7, 33, 384)] int kc)
    {
        const int ldx = 401, column0 = 5; // a tile of x starting at column 5 of rows with stride 401
        var rng = new Random(rows * 1000 + kc);
        var x = new float[rows * ldx];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        var got = new float[kc * rows + 8];
        Array.Fill(got, float.NaN);

        fixed (float* px = x, pg = got)
            RowTilePacker.Pack(rows, px + column0, ldx, kc, pg);

        for (int p = 0; p < kc; p++)
            for (int r = 0; r < rows; r++)
                Assert.That(got[p * rows + r], Is.EqualTo(x[r * ldx + column0 + p]), $"[p={p}, r={r}]");
        for (int i = kc * rows; i < got.Length; i++)
            Assert.That(got[i], Is.NaN, $"wrote past the tile at {i}");
    }

    [Test]
    public unsafe void RejectsRowCountsNoKernelHas([Values(0, 13)] int rows)
    {
        var buffer = new float[16];
        Assert.That(() => { fixed (float* p = buffer) RowTilePacker.Pack(rows, p, 1, 1, p); },
            Throws.InstanceOf<ArgumentOutOfRangeException>());
    }
}
