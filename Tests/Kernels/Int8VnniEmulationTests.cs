using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using BertSharp.Engine.Kernels;

namespace BertSharp.Tests.Kernels;

/// <summary>
/// The AvxVnni int8 path's kernel (<see cref="Int8KernelBiased256{TDot}"/>, biased u8 activations × full-range int8
/// weights, zero-point correction as the accumulator start) run with <see cref="EmulatedVnniDot"/>, a software VPDPBUSD,
/// so everything but the instruction itself runs on any AVX2 CPU. First the emulation against the scalar definition of
/// VPDPBUSD (and <see cref="Avx2Dot"/> shown to differ where VPMADDUBSW saturates), then the tile against exact integer
/// sums Σ_p xq·wq, then a whole Linear built from the tile against <see cref="Int8GemmReference"/>, bit for bit.
/// </summary>
public class Int8VnniEmulationTests
{
    private const int W = QuantizedWeight.PanelWidth;

    [SetUp]
    public void RequireAvx2()
    {
        if (!Avx2.IsSupported)
            Assert.Ignore("the emulated VPDPBUSD and Int8KernelBiased256 need x64 AVX2, which this CPU lacks");
    }

    // ---- the emulated instruction ----

    /// <summary>VPDPBUSD by its definition: per int32 lane i, acc[i] + Σ_t u[4i+t] · v[4i+t] (u8 × s8), wrapping.</summary>
    private static int[] ScalarVpdpbusd(int[] acc, byte[] u, sbyte[] v)
    {
        var result = new int[8];
        for (int i = 0; i < 8; i++)
        {
            int sum = acc[i];
            for (int t = 0; t < 4; t++) sum = unchecked(sum + u[4 * i + t] * v[4 * i + t]);
            result[i] = sum;
        }
        return result;
    }

    private static int[] Run<TDot>(int[] acc, byte[] u, sbyte[] v) where TDot : struct, IInt8Dot256
    {
        var result = new int[8];
        default(TDot).Accumulate(Vector256.Create(acc), Vector256.Create(u), Vector256.Create(v)).CopyTo(result);
        return result;
    }

    private static void AssertEmulationMatches(int[] acc, byte[] u, sbyte[] v, string what) =>
        Assert.That(Run<EmulatedVnniDot>(acc, u, v), Is.EqualTo(ScalarVpdpbusd(acc, u, v)).AsCollection,
            $"{what}: u=[{string.Join(",", u)}] v=[{string.Join(",", v)}] acc=[{string.Join(",", acc)}]");

    private static readonly int[][] Accumulators =
        [new int[8], [int.MaxValue, int.MinValue, -1, 1, int.MaxValue - 100000, int.MinValue + 100000, 12345, -98765],
         [int.MinValue, int.MinValue, int.MinValue, int.MinValue, int.MaxValue, int.MaxValue, int.MaxValue, int.MaxValue]];

    [Test]
    public void EmulationMatchesScalarVpdpbusdOnExtremeBytes()
    {
        byte[] uValues = [0, 1, 127, 128, 129, 254, 255];
        sbyte[] vValues = [-128, -127, -1, 0, 1, 64, 127];
        foreach (int[] acc in Accumulators)
        {
            // Every (u, v) in all 32 bytes: u=255 with v=-128 (lane sum -130560) and v=127 (+129540), zeros, ...
            foreach (byte ub in uValues)
                foreach (sbyte vb in vValues)
                {
                    var u = new byte[32];
                    var v = new sbyte[32];
                    Array.Fill(u, ub);
                    Array.Fill(v, vb);
                    AssertEmulationMatches(acc, u, v, $"u={ub} v={vb} everywhere");
                }
            // Mixed: every byte position of a lane sees each extreme, in different combinations per lane.
            for (int shift = 0; shift < 7; shift++)
            {
                var u = new byte[32];
                var v = new sbyte[32];
                for (int b = 0; b < 32; b++)
                {
                    u[b] = uValues[(b + shift) % uValues.Length];
                    v[b] = vValues[(b * 3 + shift) % vValues.Length];
                }
                AssertEmulationMatches(acc, u, v, $"mixed shift {shift}");
            }
        }
    }

    [Test]
    public void EmulationMatchesScalarVpdpbusdOnRandomBytes()
    {
        var rng = new Random(20260);
        var u = new byte[32];
        var v = new sbyte[32];
        var acc = new int[8];
        for (int iteration = 0; iteration < 20000; iteration++)
        {
            rng.NextBytes(u);
            for (int b = 0; b < 32; b++) v[b] = (sbyte)rng.Next(-128, 128);
            for (int i = 0; i < 8; i++) acc[i] = rng.Next(int.MinValue, int.MaxValue);
            AssertEmulationMatches(acc, u, v, $"random #{iteration}");
        }
    }

    [Test]
    public void Avx2DotSaturatesOnFullRangeOperandsWhereVpdpbusdDoesNot()
    {
        var zero = new int[8];
        var u = new byte[32];
        Array.Fill(u, (byte)255);
        var plus = new sbyte[32];
        Array.Fill(plus, (sbyte)127);
        var minus = new sbyte[32];
        Array.Fill(minus, (sbyte)-128);

        // u=255, v=127: VPDPBUSD 4·255·127 = 129540; VPMADDUBSW saturates each pair 64770 → 32767, so 2·32767.
        Assert.That(Run<EmulatedVnniDot>(zero, u, plus), Is.All.EqualTo(4 * 255 * 127));
        Assert.That(Run<Avx2Dot>(zero, u, plus), Is.All.EqualTo(2 * short.MaxValue));
        // u=255, v=-128: -130560 exactly; the pairs -65280 saturate to -32768.
        Assert.That(Run<EmulatedVnniDot>(zero, u, minus), Is.All.EqualTo(4 * 255 * -128));
        Assert.That(Run<Avx2Dot>(zero, u, minus), Is.All.EqualTo(2 * short.MinValue));

        // Where no pair can saturate (reduced-range v, |v| ≤ 64) the two agree: the same instruction semantics.
        var rng = new Random(64);
        var v = new sbyte[32];
        var acc = new int[8];
        for (int iteration = 0; iteration < 2000; iteration++)
        {
            rng.NextBytes(u);
            for (int b = 0; b < 32; b++) v[b] = (sbyte)rng.Next(-64, 65);
            for (int i = 0; i < 8; i++) acc[i] = rng.Next(int.MinValue / 2, int.MaxValue / 2);
            Assert.That(Run<Avx2Dot>(acc, u, v), Is.EqualTo(Run<EmulatedVnniDot>(acc, u, v)).AsCollection, $"reduced-range #{iteration}");
        }
    }

    // ---- the tile: Int8KernelBiased256<EmulatedVnniDot> ----

    /// <summary>
    /// A layer's operands as the int8 GEMM prepares them for a biased kernel: xq [rows, k] (ActivationQuantization,
    /// full range) and its biased bytes [rows, PaddedK] (xq ^ 0x80; padding 0 ^ 0x80 = 128), the weight packed with
    /// full range, and wq [n, k] quantized independently of the packing (the oracle's operand).
    /// </summary>
    private sealed class Operands
    {
        public readonly int Rows, K, Kp, N;
        public readonly sbyte[] Xq, Wq;
        public readonly float[] Sx;
        public readonly byte[] Biased;
        public readonly QuantizedWeight Weight;

        public Operands(float[] x, int rows, float[] w, int n, int k)
        {
            Rows = rows; K = k; N = n;
            Weight = QuantizedWeight.Quantize(w, n, k, reducedRange: false);
            Kp = Weight.PaddedK;
            Assert.That(Kp, Is.EqualTo((k + 3) / 4 * 4));
            Xq = new sbyte[rows * k];
            Sx = new float[rows];
            Biased = GC.AllocateArray<byte>(rows * Kp, pinned: true);
            var row = new sbyte[Kp]; // zero padded, as Int8Gemm writes it
            for (int r = 0; r < rows; r++)
            {
                Sx[r] = ActivationQuantization.QuantizeRow(x.AsSpan(r * k, k), row.AsSpan(0, k));
                row.AsSpan(0, k).CopyTo(Xq.AsSpan(r * k, k));
                for (int p = 0; p < Kp; p++) Biased[r * Kp + p] = (byte)(row[p] ^ unchecked((sbyte)0x80));
            }
            Wq = new sbyte[n * k];
            for (int j = 0; j < n; j++)
                ActivationQuantization.QuantizeRow(w.AsSpan(j * k, k), Wq.AsSpan(j * k, k), ActivationQuantization.FullRange);
            Assert.That(Weight.MaxLevel, Is.EqualTo(ActivationQuantization.FullRange));
        }

        /// <summary>Σ_p xq[r, p] · wq[j, p] in 64-bit, asserted to fit an int32 (what the kernel must return).</summary>
        public int Exact(int r, int j)
        {
            long sum = 0;
            for (int p = 0; p < K; p++) sum += Xq[r * K + p] * Wq[j * K + p];
            Assert.That(sum, Is.InRange((long)int.MinValue, int.MaxValue), $"oracle sum of row {r}, column {j} leaves int32");
            return (int)sum;
        }

        /// <summary>The kernel on <paramref name="rows"/> rows from <paramref name="row0"/> and one panel: acc [rows, 16].</summary>
        public unsafe int[] Tile<TDot>(int row0, int rows, int panel) where TDot : struct, IInt8Dot256
        {
            const int guard = 16, sentinel = 0x5A5A5A5A;
            var acc = new int[rows * W + guard];
            Array.Fill(acc, sentinel);
            fixed (byte* x = Biased)
            fixed (int* init = Weight.ZeroPointCorrection, a = acc)
                Int8KernelBiased256<TDot>.Tile(rows, x + (long)row0 * Kp, Kp, Weight.Data + (long)panel * W * Kp, Kp / 4,
                    init + panel * W, a);
            Assert.That(acc.AsSpan(rows * W).ToArray(), Is.All.EqualTo(sentinel), "the tile wrote past acc[rows, 16]");
            return acc.AsSpan(0, rows * W).ToArray();
        }

        /// <summary>What Tile must return: exact sums, 0 in the zero columns past n.</summary>
        public int[] Want(int row0, int rows, int panel)
        {
            var want = new int[rows * W];
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < W; c++)
                {
                    int j = panel * W + c;
                    want[r * W + c] = j < N ? Exact(row0 + r, j) : 0;
                }
            return want;
        }
    }

    private static readonly int[] TileKs = [1, 3, 4, 5, 28, 383, 384, 1536, 3072];

    [Test]
    public void TileMatchesExactSumsWithFullRangeWeights([Range(1, 4)] int rows, [ValueSource(nameof(TileKs))] int k)
    {
        const int n = 40; // 3 panels, the last with 8 zero columns
        var rng = new Random(rows * 10000 + k);
        var x = Int8KernelTestPaths.Random(rng, rows * k);
        var w = Int8KernelTestPaths.Random(rng, n * k, 0.1f);
        var o = new Operands(x, rows, w, n, k);
        for (int j = 0; j < n; j++)
            for (int p = 0; p < k; p += Math.Max(1, k / 37))
                Assert.That(o.Weight[j, p], Is.EqualTo(o.Wq[j * k + p]), $"packed wq[{j}, {p}]");
        for (int panel = 0; panel < o.Weight.PanelCount; panel++)
            Assert.That(o.Tile<EmulatedVnniDot>(0, rows, panel), Is.EqualTo(o.Want(0, rows, panel)).AsCollection,
                $"rows={rows} k={k} panel={panel}");
    }

    // Extreme operands, all ±127: x rows all +127 (u = 255), all -127 (u = 1), alternating, random signs; weight
    // columns all +127, all -127, random signs, signs flipping every 1, 2, 4, ... elements, and one of exact integers.
    private static Operands Extreme(int k)
    {
        const int rows = 4, n = W;
        var rng = new Random(k);
        var x = new float[rows * k];
        for (int p = 0; p < k; p++)
        {
            x[p] = 1f;
            x[k + p] = -1f;
            x[2 * k + p] = p % 2 == 0 ? 1f : -1f;
            x[3 * k + p] = rng.Next(2) == 0 ? 1f : -1f;
        }
        var w = new float[n * k];
        for (int p = 0; p < k; p++)
        {
            w[p] = 1f;
            w[k + p] = -1f;
            w[2 * k + p] = rng.Next(2) == 0 ? 1f : -1f;
            w[3 * k + p] = p == 0 ? -127f : rng.Next(-127, 128); // max |w| = 127 → q = w exactly
            for (int c = 4; c < n; c++)
                w[c * k + p] = ((p >> (c - 4)) & 1) == 0 ? 1f : -1f;
        }
        return new Operands(x, rows, w, n, k);
    }

    [Test]
    public void TileIsExactOnExtremeOperands([Range(1, 4)] int rows, [Values(3072, QuantizedWeight.MaxK)] int k)
    {
        Operands o = Extreme(k);
        long max = 127L * 127 * k;
        Assert.That(o.Exact(0, 0), Is.EqualTo(max), "xq = +127 · wq = +127");
        Assert.That(o.Exact(1, 1), Is.EqualTo(max), "xq = -127 · wq = -127");
        Assert.That(o.Exact(0, 1), Is.EqualTo(-max), "xq = +127 · wq = -127");
        Assert.That(o.Exact(1, 0), Is.EqualTo(-max), "xq = -127 · wq = +127");
        Assert.That(o.Weight.ZeroPointCorrection[0], Is.EqualTo(-128L * 127 * k), "init of the all +127 column");

        int[] want = o.Want(0, rows, 0);
        Assert.That(o.Tile<EmulatedVnniDot>(0, rows, 0), Is.EqualTo(want).AsCollection, $"rows={rows} k={k}");
        // The AVX2 instruction on the same full-range operands saturates (row 0 has u = 255): why this path needs VNNI.
        Assert.That(o.Tile<Avx2Dot>(0, rows, 0), Is.Not.EqualTo(want).AsCollection, "Avx2Dot should saturate on full-range weights");
    }

    [Test]
    public void TileRowsAreIndependentOfTheirNeighbours([Values(5, 384)] int k)
    {
        // The 4-row tile and tiles of 1..3 rows starting at each row give the same sums: no row sees another's bytes.
        const int rows = 4, n = 24;
        var rng = new Random(k + 7);
        var o = new Operands(Int8KernelTestPaths.Random(rng, rows * k), rows, Int8KernelTestPaths.Random(rng, n * k), n, k);
        for (int panel = 0; panel < o.Weight.PanelCount; panel++)
        {
            int[] four = o.Tile<EmulatedVnniDot>(0, rows, panel);
            Assert.That(four, Is.EqualTo(o.Want(0, rows, panel)).AsCollection);
            for (int row0 = 0; row0 < rows; row0++)
                for (int count = 1; row0 + count <= rows; count++)
                    Assert.That(o.Tile<EmulatedVnniDot>(row0, count, panel), Is.EqualTo(four.AsSpan(row0 * W, count * W).ToArray()).AsCollection,
                        $"rows {row0}..{row0 + count - 1} panel {panel}");
        }
    }

    // ---- a whole Linear on the BiasedVnni path's data flow ----

    [Test]
    public void LinearBuiltFromTheEmulatedTileMatchesReferenceBitExact([Values(1, 7, 33, 66)] int m, [Values(384, 383)] int k)
    {
        const int n = 40, tileRows = Int8KernelBiased256<EmulatedVnniDot>.MaxRows;
        var rng = new Random(m * 1000 + k);
        float[] x = Int8KernelTestPaths.Random(rng, m * k), w = Int8KernelTestPaths.Random(rng, n * k, 0.1f);
        float[] bias = Int8KernelTestPaths.Random(rng, n), residual = Int8KernelTestPaths.Random(rng, m * n);
        var o = new Operands(x, m, w, n, k);

        // Int8Gemm's phase two for Kernel.BiasedVnni: per panel, per row block of Int8Gemm.BlockRows, tiles of ≤ 4 rows,
        // then y = Dequantize(acc, sx, sw) + bias + residual (WriteTile's expression).
        var got = new float[m * n];
        for (int panel = 0; panel < o.Weight.PanelCount; panel++)
        {
            int j0 = panel * W, width = Math.Min(W, n - j0);
            for (int rb = 0; rb < m; rb += Int8Gemm.BlockRows)
            {
                int re = Math.Min(rb + Int8Gemm.BlockRows, m);
                for (int row0 = rb; row0 < re; row0 += tileRows)
                {
                    int rows = Math.Min(tileRows, re - row0);
                    int[] acc = o.Tile<EmulatedVnniDot>(row0, rows, panel);
                    for (int r = 0; r < rows; r++)
                        for (int c = 0; c < width; c++)
                        {
                            int i = row0 + r, j = j0 + c;
                            got[i * n + j] = Int8GemmReference.Dequantize(acc[r * W + c], o.Sx[i], o.Weight.Scale(j)) + bias[j] + residual[i * n + j];
                        }
                }
            }
        }

        var want = new float[m * n];
        Int8GemmReference.Linear(x, m, k, w, n, bias, want, residual);
        Assert.That(got, Is.EqualTo(want).AsCollection, $"m={m} k={k} n={n}");
        // And the path this CPU runs for full-range weights (sign kernel on AVX2) gives the same bits.
        var fast = new float[m * n];
        Int8Gemm.Linear(x, m, o.Weight, bias, fast, residual, maxThreads: 1);
        Assert.That(got, Is.EqualTo(fast).AsCollection, $"Int8Gemm.Linear Auto m={m} k={k} n={n}");
    }
}
