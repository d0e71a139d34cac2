using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Fast int8 linear layer: y = dequantize(quantize(x) · wqᵀ) + bias (+ residual) with w quantized per output channel
/// and packed at load (<see cref="QuantizedWeight"/>), x quantized per row at run time. Bit-identical to
/// <see cref="Int8GemmReference.Linear"/> on every path.
/// </summary>
/// <remarks>
/// <code>
/// phase one, per row i:   sx[i], xq[i, 0 .. PaddedK) = QuantizeRow(x[i, :] (⊙ inputScale)) (zero padded)   // [m, PaddedK] bytes
///                         biased kernels store u = xq + 128 (xq ^ 0x80) instead;
///                         wide weights (QuantizedWeight.WideActivations): int16 xq, level WideLevel(k)
/// phase two, work items = (block of 64 rows) × (group of 16-column weight panels), from a shared counter
///   for each panel, for each tile of ≤ 4 rows (≤ 8 on Avx512BW):
///     acc[r, c] = Σ_p xq[r, p] · wq[c, p]              // exact int32 on every path
///                                                       // (biased: -128·Σ_p wq[c, p] + Σ_p u[r, p] · wq[c, p])
///     y[r, c] = Dequantize(acc, sx[r], sw[c]) (+ bias[c]) (+ residual[r, c]); then the optional epilogue
/// </code>
/// The integer sums are exact and the float expression (<see cref="Int8GemmReference.Dequantize"/>, then bias, then
/// residual) is the same everywhere, so results do not depend on the path, the thread count or the other rows.
/// </remarks>
public static class Int8Gemm
{
    /// <summary>Below this many multiply-adds (m·n·k) a call runs on one thread: waking a worker costs more.</summary>
    public const long ParallelThreshold = 1L << 18;

    /// <summary>Most rows a micro-kernel call covers (Avx512BW's biased kernel; the others take 4).</summary>
    internal const int TileRows = 8;

    /// <summary>Rows per work item's row block (a multiple of <see cref="TileRows"/>; fixed, never from the thread count).</summary>
    internal const int BlockRows = 64;

    /// <summary>
    /// Columns per epilogue call (4 panels): a work item covers whole blocks of them, and each row of a block is handed
    /// to the epilogue once the block's panels are done (still in cache) — long enough to amortise a vector GELU's setup.
    /// </summary>
    public const int EpilogueColumns = 4 * QuantizedWeight.PanelWidth;

    /// <summary>
    /// y: [m, n] = int8(x: [m, k]) · wqᵀ + bias (+ residual: [m, n]), where w.N = n and w.K = k; bias is [n] or empty.
    /// inputScale: [k] or empty: each row of x is multiplied element-wise by it (one float multiply per element) before
    /// it is quantized — SmoothQuant's 1/s — in a per-worker row buffer, without writing a scaled copy of x.
    /// y must not overlap x, bias or residual. maxThreads &lt;= 0 means all cores; 1 means the caller thread only.
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int m, QuantizedWeight w, ReadOnlySpan<float> bias, Span<float> y,
        ReadOnlySpan<float> residual = default, int maxThreads = 0, Int8GemmPath path = Int8GemmPath.Auto, ReadOnlySpan<float> inputScale = default) =>
        Linear(x, m, w, bias, y, default(NoEpilogue), residual, maxThreads, path, inputScale);

    /// <summary>
    /// As the plain overload, then applies <paramref name="epilogue"/> to each finished (row, ≤ <see cref="EpilogueColumns"/>
    /// columns) segment of y; segments start at multiples of <see cref="EpilogueColumns"/>, whatever m and the thread count.
    /// </summary>
    public static void Linear<TEpilogue>(ReadOnlySpan<float> x, int m, QuantizedWeight w, ReadOnlySpan<float> bias, Span<float> y,
        TEpilogue epilogue, ReadOnlySpan<float> residual = default, int maxThreads = 0, Int8GemmPath path = Int8GemmPath.Auto,
        ReadOnlySpan<float> inputScale = default)
        where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(w);
        int k = w.K, n = w.N;
        GemmArguments.CheckLinear(x, m, k, n, bias, y, residual);
        if (!inputScale.IsEmpty && inputScale.Length != k)
            throw new ArgumentException($"inputScale has {inputScale.Length} floats; it must be empty or [k] = [{k}].", nameof(inputScale));
        Int8GemmPath resolved = Resolve(path);
        if (m == 0) return;

        GemmArguments.CheckNoOverlap(x, m, k, n, bias, y, residual);

        int threads = KernelParallel.ResolveThreads(maxThreads);
        if ((long)m * n * k < ParallelThreshold) threads = 1;

        // The thread's cached job and scratch, unless this call is nested inside another one on the same thread (an
        // epilogue calling a GEMM): then fresh ones, so the outer call's quantized x is not overwritten.
        bool nested = t_callDepth > 0;
        Int8GemmJob<TEpilogue> job = nested ? new Int8GemmJob<TEpilogue>() : Int8GemmJob<TEpilogue>.ForThisThread;
        long xBytes = (long)m * w.PaddedK * (w.WideActivations ? sizeof(short) : sizeof(sbyte));
        if (xBytes > Array.MaxLength) throw new ArgumentException($"x [m, k] = [{m}, {k}] is too large to quantize in one call.", nameof(x));
        sbyte[] xqStorage = nested ? NewScratch<sbyte>((int)xBytes) : Scratch(ref t_xq, (int)xBytes);
        float[] sxStorage = nested ? NewScratch<float>(m) : Scratch(ref t_sx, m);
        t_callDepth++;
        unsafe
        {
            fixed (float* px = x, pb = bias, py = y, pr = residual, ps = inputScale)
            {
                sbyte* xq = (sbyte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(xqStorage));
                float* sx = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(sxStorage));
                job.Setup(px, m, w, bias.IsEmpty ? null : pb, py, residual.IsEmpty ? null : pr, resolved, threads, xq, sx, epilogue,
                    inputScale.IsEmpty ? null : ps);
                try
                {
                    KernelParallel.For(m, new Int8GemmJob<TEpilogue>.QuantizePieces(job), job.Items, new Int8GemmJob<TEpilogue>.ComputePieces(job), threads);
                }
                finally
                {
                    job.Clear();
                    t_callDepth--;
                    // The job holds raw pointers into w's pinned arrays: w must stay reachable until every worker is
                    // done, even when the caller passes a temporary (a pinned array is still freed once unreachable).
                    GC.KeepAlive(w);
                }
            }
        }
    }

    /// <summary>The path <see cref="Int8GemmPath.Auto"/> picks on this CPU.</summary>
    public static Int8GemmPath BestPath =>
        IsSupported(Int8GemmPath.AvxVnni) ? Int8GemmPath.AvxVnni :
        IsSupported(Int8GemmPath.Avx512BW) ? Int8GemmPath.Avx512BW :
        IsSupported(Int8GemmPath.Avx2) ? Int8GemmPath.Avx2 :
        IsSupported(Int8GemmPath.ArmDot) ? Int8GemmPath.ArmDot :
        Int8GemmPath.Portable;

    /// <summary>True when <paramref name="path"/> can run on this CPU.</summary>
    public static bool IsSupported(Int8GemmPath path) => path switch
    {
        Int8GemmPath.Auto or Int8GemmPath.Portable => true,
        Int8GemmPath.AvxVnni => AvxVnni.IsSupported && Avx2.IsSupported,
        Int8GemmPath.Avx2 => Avx2.IsSupported,
        Int8GemmPath.Avx512BW => Avx512BW.IsSupported && Avx2.IsSupported,
        Int8GemmPath.ArmDot => Dp.IsSupported && AdvSimd.IsSupported,
        _ => false,
    };

    /// <summary>What <paramref name="path"/> needs from the CPU, for messages when it is missing.</summary>
    public static string Requirement(Int8GemmPath path) => path switch
    {
        Int8GemmPath.AvxVnni => "x64 AVX-VNNI (256-bit VPDPBUSD; e.g. Zen 5, Alder Lake and later — not Zen 4, whose AVX-512 VNNI .NET 10 does not expose)",
        Int8GemmPath.Avx2 => "x64 AVX2",
        Int8GemmPath.Avx512BW => "x64 AVX-512BW in a JIT process (x86-64-v3 NativeAOT binaries have no AVX-512)",
        Int8GemmPath.ArmDot => "ARM64 with the dot-product extension (SDOT)",
        _ => "nothing",
    };

    private static Int8GemmPath Resolve(Int8GemmPath path)
    {
        if (path == Int8GemmPath.Auto) return BestPath;
        if (path is not (Int8GemmPath.AvxVnni or Int8GemmPath.Avx2 or Int8GemmPath.Avx512BW or Int8GemmPath.ArmDot or Int8GemmPath.Portable))
            throw new ArgumentOutOfRangeException(nameof(path), path, "unknown Int8GemmPath.");
        if (!IsSupported(path))
            throw new PlatformNotSupportedException($"Int8GemmPath.{path} needs {Requirement(path)}, which this CPU lacks (use Int8GemmPath.Auto).");
        return path;
    }

    /// <summary>
    /// The micro-kernel a (path, weight range, activation width) runs. Biased kernels read u = xq + 128; the others xq.
    /// VPMADDUBSW on biased u ≤ 255 is exact only for reduced-range weights (|w| ≤ 64), so with full-range weights
    /// Avx2 and Avx512BW run the sign kernel (|xq| ≤ 127 × w·sign(xq)); VPDPBUSD has no int16 step and takes either.
    /// Wide (int16) activations take the VPMADDWD kernels on x64 (AvxVnni CPUs run the AVX2 one) and the portable one
    /// elsewhere.
    /// </summary>
    private enum Kernel { Portable, ArmDot, SignAvx2, BiasedAvx2, BiasedVnni, Biased512, WidePortable, WideAvx2, Wide512 }

    private static bool IsBiased(Kernel kernel) => kernel is Kernel.BiasedAvx2 or Kernel.BiasedVnni or Kernel.Biased512;

    private static bool IsWide(Kernel kernel) => kernel is Kernel.WidePortable or Kernel.WideAvx2 or Kernel.Wide512;

    private static Kernel KernelFor(Int8GemmPath path, bool reducedRange, bool wide) => wide ? path switch
    {
        Int8GemmPath.AvxVnni or Int8GemmPath.Avx2 => Kernel.WideAvx2,
        Int8GemmPath.Avx512BW => Kernel.Wide512,
        _ => Kernel.WidePortable,
    } : path switch
    {
        Int8GemmPath.AvxVnni => Kernel.BiasedVnni,
        Int8GemmPath.Avx512BW => reducedRange ? Kernel.Biased512 : Kernel.SignAvx2,
        Int8GemmPath.Avx2 => reducedRange ? Kernel.BiasedAvx2 : Kernel.SignAvx2,
        Int8GemmPath.ArmDot => Kernel.ArmDot,
        _ => Kernel.Portable,
    };

    [ThreadStatic] private static sbyte[]? t_xq;
    [ThreadStatic] private static float[]? t_sx;
    [ThreadStatic] private static int t_callDepth;

    private static T[] Scratch<T>(ref T[]? cached, int length) =>
        cached is { } scratch && scratch.Length >= length ? scratch : (cached = NewScratch<T>(length));

    // Pinned so workers can use a raw pointer; 25% headroom so a slowly growing m does not reallocate every call.
    private static T[] NewScratch<T>(int length) =>
        GC.AllocateUninitializedArray<T>((int)Math.Min(Array.MaxLength, Math.Max(1, length + (long)length / 4)), pinned: true);

    /// <summary>
    /// One call: its arguments as raw pointers (the spans are fixed for the duration of the call) and the shared
    /// scratch holding quantized x. Phase one quantizes row <c>piece</c>; phase two computes work item <c>piece</c>.
    /// </summary>
    private sealed unsafe class Int8GemmJob<TEpilogue>
        where TEpilogue : struct, IGemmEpilogue
    {
        public readonly struct QuantizePieces(Int8GemmJob<TEpilogue> job) : IParallelPieces
        {
            public void Run(int piece, int slot) => job.QuantizeRow(piece, slot);
        }

        public readonly struct ComputePieces(Int8GemmJob<TEpilogue> job) : IParallelPieces
        {
            public void Run(int piece, int slot) => job.ComputeItem(piece, job.AccScratch(slot));
        }

        [ThreadStatic] private static Int8GemmJob<TEpilogue>? t_job;

        public static Int8GemmJob<TEpilogue> ForThisThread => t_job ??= new Int8GemmJob<TEpilogue>();

        private const int W = QuantizedWeight.PanelWidth;
        private const int AccInts = TileRows * W + 16; // + 64 bytes so each slot's tile can start 64-byte aligned

        private float* _x, _bias, _y, _residual, _sx, _sw, _inputScale;
        private float[]? _scaledRows; // [ProcessorCount, ≥ k]: one scaled row per worker slot when inputScale is given
        private int* _init;
        private sbyte* _w, _xq;
        private int _m, _k, _kp, _n, _panels, _rowBlocks, _panelsPerGroup, _items, _tileRows;
        private Kernel _kernel;
        private TEpilogue _epilogue;
        private readonly int[] _acc = GC.AllocateArray<int>(AccInts * KernelParallel.ProcessorCount, pinned: true);

        public int Items => _items;

        private int* AccScratch(int slot)
        {
            int* p = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_acc)) + (nint)slot * AccInts;
            return (int*)(((nint)p + 63) & ~(nint)63);
        }

        public void Setup(float* x, int m, QuantizedWeight w, float* bias, float* y, float* residual, Int8GemmPath path, int threads,
            sbyte* xq, float* sx, TEpilogue epilogue, float* inputScale)
        {
            _inputScale = inputScale;
            if (inputScale != null && (_scaledRows is null || _scaledRows.Length < w.K * KernelParallel.ProcessorCount))
                _scaledRows = GC.AllocateUninitializedArray<float>(w.K * KernelParallel.ProcessorCount, pinned: true);
            _x = x; _m = m; _k = w.K; _kp = w.PaddedK; _n = w.N; _panels = w.PanelCount;
            // Raw pointers into w's pinned arrays; Linear keeps w reachable until the call returns.
            _w = w.Data;
            _sw = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(w.Scales));
            _init = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(w.ZeroPointCorrection));
            _bias = bias; _y = y; _residual = residual;
            _kernel = KernelFor(path, w.ReducedRange, w.WideActivations);
            _tileRows = _kernel is Kernel.Biased512 or Kernel.Wide512 ? Int8KernelBiased512.MaxRows : 4;
            _xq = xq; _sx = sx; _epilogue = epilogue;

            _rowBlocks = (m + BlockRows - 1) / BlockRows;
            int wantedItems = threads <= 1 ? 1 : 16 * threads;
            int panelGroups = Math.Clamp((wantedItems + _rowBlocks - 1) / _rowBlocks, 1, _panels);
            const int blockPanels = EpilogueColumns / W;
            _panelsPerGroup = ((_panels + panelGroups - 1) / panelGroups + blockPanels - 1) / blockPanels * blockPanels;
            _items = _rowBlocks * ((_panels + _panelsPerGroup - 1) / _panelsPerGroup);
        }

        public void Clear()
        {
            _x = _bias = _y = _residual = _sx = _sw = _inputScale = null;
            _init = null;
            _w = _xq = null;
            _epilogue = default;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void QuantizeRow(int i, int slot)
        {
            var source = new ReadOnlySpan<float>(_x + (long)i * _k, _k);
            if (_inputScale != null)
            {
                Span<float> scaled = _scaledRows.AsSpan(slot * _k, _k);
                System.Numerics.Tensors.TensorPrimitives.Multiply(source, new ReadOnlySpan<float>(_inputScale, _k), scaled);
                source = scaled;
            }
            if (IsWide(_kernel))
            {
                short* wide = (short*)_xq + (long)i * _kp;
                _sx[i] = ActivationQuantization.QuantizeRow(source, new Span<short>(wide, _k), ActivationQuantization.WideLevel(_k));
                for (int p = _k; p < _kp; p++) wide[p] = 0;
                return;
            }
            sbyte* row = _xq + (long)i * _kp;
            _sx[i] = ActivationQuantization.QuantizeRow(source, new Span<sbyte>(row, _k));
            for (int p = _k; p < _kp; p++) row[p] = 0;
            if (IsBiased(_kernel))
            {
                // u = xq + 128 as a byte: flipping the top bit maps -127..127 to 1..255 (padding 0 to 128; its w is 0).
                int p = 0;
                if (Vector256.IsHardwareAccelerated)
                    for (; p + 32 <= _kp; p += 32)
                        (Vector256.Load((byte*)row + p) ^ Vector256.Create((byte)0x80)).Store((byte*)row + p);
                for (; p < _kp; p++) row[p] = (sbyte)(row[p] ^ unchecked((sbyte)0x80));
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void ComputeItem(int item, int* acc)
        {
            int n = _n, groups = _kp / 4;
            int rowBlock = item % _rowBlocks, group = item / _rowBlocks;
            int rb = rowBlock * BlockRows, re = Math.Min(rb + BlockRows, _m);
            int qb = group * _panelsPerGroup, qe = Math.Min(qb + _panelsPerGroup, _panels);
            int tileRows = _tileRows;
            for (int q = qb; q < qe; q++)
            {
                sbyte* panel = _w + (long)q * W * _kp;
                int j0 = q * W, width = Math.Min(W, n - j0);
                int* init = _init + j0;
                for (int row0 = rb; row0 < re; row0 += tileRows)
                {
                    int rows = Math.Min(tileRows, re - row0);
                    sbyte* xTile = _xq + (long)row0 * _kp;
                    short* xWide = (short*)_xq + (long)row0 * _kp;
                    switch (_kernel)
                    {
                        case Kernel.WideAvx2: Int8KernelWide256.Tile(rows, xWide, _kp, panel, groups, acc); break;
                        case Kernel.Wide512: Int8KernelWide512.Tile(rows, xWide, _kp, panel, groups, acc); break;
                        case Kernel.WidePortable: Int8KernelWidePortable.Tile(rows, xWide, _kp, panel, groups, acc); break;
                        case Kernel.Biased512: Int8KernelBiased512.Tile(rows, (byte*)xTile, _kp, panel, groups, init, acc); break;
                        case Kernel.BiasedAvx2: Int8KernelBiased256<Avx2Dot>.Tile(rows, (byte*)xTile, _kp, panel, groups, init, acc); break;
                        case Kernel.BiasedVnni: Int8KernelBiased256<AvxVnniDot>.Tile(rows, (byte*)xTile, _kp, panel, groups, init, acc); break;
                        case Kernel.SignAvx2: Int8KernelAvx<Avx2Dot>.Tile(rows, xTile, _kp, panel, groups, acc); break;
                        case Kernel.ArmDot: Int8KernelArmDot.Tile(rows, xTile, _kp, panel, groups, acc); break;
                        default: Int8KernelPortable.Tile(rows, xTile, _kp, panel, groups, acc); break;
                    }
                    WriteTile(acc, row0, rows, j0, width);
                }
                if (typeof(TEpilogue) != typeof(NoEpilogue) && ((q + 1) % (EpilogueColumns / W) == 0 || q == _panels - 1))
                {
                    int c0 = q / (EpilogueColumns / W) * EpilogueColumns, c1 = Math.Min(n, (q + 1) * W);
                    for (int i = rb; i < re; i++)
                        _epilogue.Apply(new Span<float>(_y + (long)i * n + c0, c1 - c0), i, c0);
                }
            }
        }

        private void WriteTile(int* acc, int row0, int rows, int j0, int width)
        {
            float* sw = _sw + j0;
            float* bias = _bias != null ? _bias + j0 : null;
            for (int r = 0; r < rows; r++)
            {
                int i = row0 + r;
                float sx = _sx[i];
                float* yRow = _y + (long)i * _n + j0;
                int* a = acc + r * W;
                int c = 0;
                if (width == W && Vector256.IsHardwareAccelerated)
                {
                    // Dequantize's expression lane by lane: the same int→float conversion, multiplies and adds (no FMA).
                    Vector256<float> sxv = Vector256.Create(sx);
                    Vector256<float> v0 = Vector256.ConvertToSingle(Vector256.Load(a)) * (sxv * Vector256.Load(sw));
                    Vector256<float> v1 = Vector256.ConvertToSingle(Vector256.Load(a + 8)) * (sxv * Vector256.Load(sw + 8));
                    if (bias != null) { v0 += Vector256.Load(bias); v1 += Vector256.Load(bias + 8); }
                    if (_residual != null)
                    {
                        float* residualRow = _residual + (long)i * _n + j0;
                        v0 += Vector256.Load(residualRow); v1 += Vector256.Load(residualRow + 8);
                    }
                    v0.Store(yRow);
                    v1.Store(yRow + 8);
                    continue;
                }
                else if (width == W && Vector128.IsHardwareAccelerated)
                {
                    // Dequantize's expression lane by lane: the same int→float conversion, multiplies and adds (no FMA).
                    Vector128<float> sxv = Vector128.Create(sx);
                    float* residualRow = _residual != null ? _residual + (long)i * _n + j0 : null;
                    for (; c < W; c += 4)
                    {
                        Vector128<float> v = Vector128.ConvertToSingle(Vector128.Load(a + c)) * (sxv * Vector128.Load(sw + c));
                        if (_bias != null) v += Vector128.Load(_bias + j0 + c);
                        if (residualRow != null) v += Vector128.Load(residualRow + c);
                        v.Store(yRow + c);
                    }
                }
                for (; c < width; c++)
                {
                    float v = Int8GemmReference.Dequantize(a[c], sx, sw[c]);
                    if (_bias != null) v += _bias[j0 + c];
                    if (_residual != null) v += _residual[(long)i * _n + j0 + c];
                    yRow[c] = v;
                }
            }
        }
    }
}
