using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// Fast fp32 linear layer: y = x · wᵀ + bias (+ residual), with w pre-packed into 32-column panels
/// (<see cref="PackedWeight"/>). Same result as <see cref="GemmReference.Linear"/> up to float rounding order.
/// </summary>
/// <remarks>
/// <code>
/// pack x once into row tiles of MR rows      // tile layout per k block: [KC, MR], one k step = MR contiguous floats
/// work items = (block of MC rows) × (group of 32-column weight panels), taken from a shared counter by the threads
///   for k0 in steps of KC                    // KC ≤ 1024: the KC × 32 weight micro-panel takes ≤ 1/8 of L2
///     for each panel in the group            // the item's MC × KC of packed x stays in L2 (≤ 5/8 of it)
///       for each row tile in the block       // register tile MR × 32: 12 × 2 zmm, 6 × (2 × 2) ymm, 4 × Vector&lt;T&gt; chunks
///         y tile (+)= x tile · panel; on the last k block: + bias, + residual, then the optional epilogue
/// </code>
/// MR, KC and MC follow from m, k, the path and the cache sizes — never from the thread count — and every tile kernel
/// does, per output element, the same fused multiply-adds in the same k order. So results are bit-identical for any
/// thread count and a row's result does not depend on the other rows in the batch.
/// Row tiles have balanced heights (m = 13 → 7 + 6, not 12 + 1); each height has its own specialised kernel.
/// A last panel narrower than 32 (n % 32 != 0) goes through a 32-wide scratch tile, so nothing is read or written
/// past the caller's spans.
/// </remarks>
public static class Gemm
{
    /// <summary>Below this many multiply-adds (m·n·k) a call runs on one thread: waking a worker costs more.</summary>
    public const long ParallelThreshold = 1L << 18;

    /// <summary>
    /// y: [m, n] = x: [m, k] · wᵀ + bias (+ residual: [m, n]), where w.N = n and w.K = k; bias is [n] or empty.
    /// y must not overlap x, bias or residual. maxThreads &lt;= 0 means all cores; 1 means the caller thread only.
    /// </summary>
    public static void Linear(ReadOnlySpan<float> x, int m, PackedWeight w, ReadOnlySpan<float> bias, Span<float> y,
        ReadOnlySpan<float> residual = default, int maxThreads = 0, GemmPath path = GemmPath.Auto) =>
        Linear(x, m, w, bias, y, default(NoEpilogue), residual, maxThreads, path);

    /// <summary>
    /// As <see cref="Linear(ReadOnlySpan{float}, int, PackedWeight, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, int, GemmPath)"/>,
    /// then applies <paramref name="epilogue"/> to each finished segment of y while it is still in cache (e.g. GELU after
    /// the FFN up-projection): y = epilogue(x · wᵀ + bias (+ residual)).
    /// </summary>
    public static void Linear<TEpilogue>(ReadOnlySpan<float> x, int m, PackedWeight w, ReadOnlySpan<float> bias, Span<float> y,
        TEpilogue epilogue, ReadOnlySpan<float> residual = default, int maxThreads = 0, GemmPath path = GemmPath.Auto)
        where TEpilogue : struct, IGemmEpilogue
    {
        ArgumentNullException.ThrowIfNull(w);
        int k = w.K, n = w.N;
        GemmArguments.CheckLinear(x, m, k, n, bias, y, residual);
        GemmPath resolved = Resolve(path);
        if (m == 0) return;

        GemmArguments.CheckNoOverlap(x, m, k, n, bias, y, residual);

        int threads = KernelParallel.ResolveThreads(maxThreads);
        if ((long)m * n * k < ParallelThreshold) threads = 1;

        // The thread's cached job and scratch, unless this call is nested inside another one on the same thread (an
        // epilogue calling Gemm): then fresh ones, so the outer call's packed x is not overwritten.
        bool nested = t_callDepth > 0;
        GemmJob<TEpilogue> job = nested ? new GemmJob<TEpilogue>() : GemmJob<TEpilogue>.ForThisThread;
        float[] packedXStorage = nested ? NewPackedXScratch(m * k) : PackedXScratch(m * k);
        t_callDepth++;
        unsafe
        {
            fixed (float* px = x, pb = bias, py = y, pr = residual)
            {
                float* packedX = (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(packedXStorage));
                job.Setup(px, m, k, n, w, bias.IsEmpty ? null : pb, py, residual.IsEmpty ? null : pr, resolved, threads, packedX, epilogue);
                try
                {
                    // Phase one packs x into row tiles, phase two computes the work items from the packed tiles.
                    KernelParallel.For(job.Tiles, new GemmJob<TEpilogue>.PackPieces(job), job.Items, new GemmJob<TEpilogue>.ComputePieces(job), threads);
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

    /// <summary>The path <see cref="GemmPath.Auto"/> picks on this CPU.</summary>
    public static GemmPath BestPath =>
        KernelPathOverride.Path != GemmPath.Auto ? KernelPathOverride.Path :
        Avx512F.IsSupported ? GemmPath.Vector512 :
        Avx2.IsSupported && Fma.IsSupported ? GemmPath.Vector256 :
        GemmPath.Portable;

    /// <summary>True when <paramref name="path"/> can run on this CPU.</summary>
    public static bool IsSupported(GemmPath path) => path switch
    {
        GemmPath.Auto or GemmPath.Portable => true,
        GemmPath.Vector512 => Avx512F.IsSupported,
        GemmPath.Vector256 => Avx2.IsSupported && Fma.IsSupported,
        _ => false,
    };

    private static GemmPath Resolve(GemmPath path)
    {
        if (path == GemmPath.Auto) return BestPath;
        if (path is not (GemmPath.Vector512 or GemmPath.Vector256 or GemmPath.Portable))
            throw new ArgumentOutOfRangeException(nameof(path), path, "unknown GemmPath.");
        if (!IsSupported(path))
            throw new PlatformNotSupportedException($"GemmPath.{path} is not supported on this CPU (use GemmPath.Auto).");
        return path;
    }

    internal static int TileRows(GemmPath path) => path switch
    {
        GemmPath.Vector512 => GemmKernel512.MaxRows,
        GemmPath.Vector256 => GemmKernel256.MaxRows,
        _ => GemmKernelPortable.MaxRows,
    };

    /// <summary>
    /// Longest k block. On this CPU class the micro-kernel runs at full speed with its KC × 32 weight micro-panel
    /// streaming from L2 (measured: KC = 768 beats 256, which would fit L1, by ~5% because y tiles are re-read less),
    /// so the limit is L2-based: the micro-panel (KC · 128 bytes) takes at most 1/8 of L2 — 1024 for 1 MB.
    /// </summary>
    internal static int MaxKBlock { get; set; } = Math.Clamp(CpuCacheInfo.L2Bytes / 8 / (PackedWeight.PanelWidth * sizeof(float)) / 16 * 16, 256, 2048);

    /// <summary>k blocks of equal length, none longer than <see cref="MaxKBlock"/>: k = 3072 → 3 × 1024, 1536 → 2 × 768.</summary>
    internal static int KBlock(int k)
    {
        int blocks = (k + MaxKBlock - 1) / MaxKBlock;
        return (k + blocks - 1) / blocks;
    }

    /// <summary>
    /// Row tiles per packed x block: MC × KC floats fill at most 5/8 of L2 (the rest is for the weight micro-panel
    /// and y), split into blocks of equal tile counts.
    /// </summary>
    internal static int TilesPerRowBlock(int tiles, int mr, int kc)
    {
        int maxTiles = Math.Max(1, CpuCacheInfo.L2Bytes / 8 * 5 / (kc * sizeof(float)) / mr);
        int blocks = (tiles + maxTiles - 1) / maxTiles;
        return (tiles + blocks - 1) / blocks;
    }

    /// <summary>Scratch for x packed into row tiles (pinned; grows to the largest m × k seen), one per calling thread.</summary>
    [ThreadStatic] private static float[]? t_packedX;

    [ThreadStatic] private static int t_callDepth;

    private static float[] PackedXScratch(int floats) =>
        t_packedX is { } scratch && scratch.Length >= floats ? scratch : (t_packedX = NewPackedXScratch(floats));

    // Pinned so workers can use a raw pointer; 25% headroom so a slowly growing m does not reallocate every call.
    private static float[] NewPackedXScratch(int floats) =>
        GC.AllocateUninitializedArray<float>((int)Math.Min(Array.MaxLength, floats + (long)floats / 4), pinned: true);

    /// <summary>
    /// One call: its arguments as raw pointers (the spans are fixed for the duration of the call) and the shared
    /// scratch holding x packed into row tiles. The pieces: first the row tiles of x to pack, then the work items
    /// (row block × panel group) — see <see cref="KernelParallel.For{TFirst, TSecond}"/>. Which thread computes an
    /// item never changes how it is computed.
    /// </summary>
    private sealed unsafe class GemmJob<TEpilogue>
        where TEpilogue : struct, IGemmEpilogue
    {
        /// <summary>Phase one: pack row tile <c>piece</c> of x.</summary>
        public readonly struct PackPieces(GemmJob<TEpilogue> job) : IParallelPieces
        {
            public void Run(int piece, int slot) => job.PackTile(piece);
        }

        /// <summary>Phase two: compute work item <c>piece</c>, with the slot's scratch for narrow last panels.</summary>
        public readonly struct ComputePieces(GemmJob<TEpilogue> job) : IParallelPieces
        {
            public void Run(int piece, int slot) => job.ComputeItem(piece, job.EdgeScratch(slot));
        }

        [ThreadStatic] private static GemmJob<TEpilogue>? t_job;

        /// <summary>The calling thread's job object (a caller runs one call at a time, so it can be reused).</summary>
        public static GemmJob<TEpilogue> ForThisThread => t_job ??= new GemmJob<TEpilogue>();

        private const int W = PackedWeight.PanelWidth;

        private float* _x, _w, _bias, _y, _residual, _packedX;
        private int _m, _k, _n, _panels;
        private GemmPath _path;
        private TEpilogue _epilogue;

        // Geometry, fixed by (m, k, n, path, cache sizes) — never by the thread count.
        private int _mr, _tiles, _baseRows, _tallTiles, _kBlock, _tilesPerBlock, _rowBlocks;
        // Scheduling, which may depend on the thread count.
        private int _panelsPerGroup, _items;
        // Per-thread scratch for a last panel narrower than 32 columns: y tile, residual tile and bias, 32 wide.
        private const int EdgeFloats = 2 * GemmKernel512.MaxRows * W + W;
        private readonly float[] _edge = GC.AllocateArray<float>(EdgeFloats * KernelParallel.ProcessorCount, pinned: true);

        public int Tiles => _tiles;
        public int Items => _items;

        private float* EdgeScratch(int slot) =>
            (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_edge)) + (nint)slot * EdgeFloats;

        public void Setup(float* x, int m, int k, int n, PackedWeight w, float* bias, float* y, float* residual, GemmPath path, int threads,
            float* packedX, TEpilogue epilogue)
        {
            _x = x; _m = m; _k = k; _n = n; _w = w.Data; _panels = w.PanelCount;
            _bias = bias; _y = y; _residual = residual; _path = path;
            _packedX = packedX; _epilogue = epilogue;

            _mr = TileRows(path);
            _tiles = (m + _mr - 1) / _mr;
            _baseRows = m / _tiles;
            _tallTiles = m % _tiles; // the first _tallTiles tiles have _baseRows + 1 rows
            _kBlock = KBlock(k);
            _tilesPerBlock = TilesPerRowBlock(_tiles, _mr, _kBlock);
            _rowBlocks = (_tiles + _tilesPerBlock - 1) / _tilesPerBlock;

            // Many small items (down to one panel each) so a thread that starts late or gets preempted delays the
            // end of the call by little; items cost only a counter increment since x is already packed.
            int wantedItems = threads <= 1 ? 1 : 16 * threads;
            int panelGroups = Math.Clamp((wantedItems + _rowBlocks - 1) / _rowBlocks, 1, _panels);
            _panelsPerGroup = (_panels + panelGroups - 1) / panelGroups;
            _items = _rowBlocks * ((_panels + _panelsPerGroup - 1) / _panelsPerGroup);
        }

        public void Clear()
        {
            _x = _w = _bias = _y = _residual = _packedX = null;
            _epilogue = default;
        }

        private int TileRow0(int t) => t * _baseRows + Math.Min(t, _tallTiles);
        private int TileHeight(int t) => _baseRows + (t < _tallTiles ? 1 : 0);

        // Packed x layout: for each k block [k0, k0 + kc): kc × m floats, tile after tile; tile t (rows row0.., R rows)
        // occupies [kc, R] at offset k0 * m + kc * row0, element (p, r) = x[row0 + r, k0 + p].
        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fast from the first call: no tier-0 driver
        private void PackTile(int t)
        {
            int k = _k, m = _m, row0 = TileRow0(t), rows = TileHeight(t);
            for (int k0 = 0; k0 < k; k0 += _kBlock)
            {
                int kc = Math.Min(_kBlock, k - k0);
                RowTilePacker.Pack(rows, _x + (long)row0 * k + k0, k, kc, _packedX + (long)k0 * m + (long)kc * row0);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)] // fast from the first call: no tier-0 driver
        private void ComputeItem(int item, float* edge)
        {
            int k = _k, m = _m, n = _n;
            int rowBlock = item % _rowBlocks, group = item / _rowBlocks;
            int tb = rowBlock * _tilesPerBlock, te = Math.Min(tb + _tilesPerBlock, _tiles);
            int qb = group * _panelsPerGroup, qe = Math.Min(qb + _panelsPerGroup, _panels);

            // Scratch for a last panel narrower than 32 columns: y tile, residual tile and bias padded to 32 wide.
            float* edgeY = edge, edgeResidual = edge + GemmKernel512.MaxRows * W, edgeBias = edge + 2 * GemmKernel512.MaxRows * W;

            for (int k0 = 0; k0 < k; k0 += _kBlock)
            {
                int kc = Math.Min(_kBlock, k - k0);
                bool accumulate = k0 > 0, last = k0 + kc == k;
                nint subPanel = (nint)k * PackedWeight.SubPanelWidth;
                float* packedBlock = _packedX + (long)k0 * m;
                for (int q = qb; q < qe; q++)
                {
                    // Panel q is two [k, 16] sub-panels; this k block starts k0 rows into the first, the second is 16k further.
                    float* panel = _w + (long)q * W * k + (long)k0 * PackedWeight.SubPanelWidth;
                    int j0 = q * W, width = Math.Min(W, n - j0);
                    float* bias = last && _bias != null ? _bias + j0 : null;
                    for (int t = tb; t < te; t++)
                    {
                        int row0 = TileRow0(t), rows = TileHeight(t);
                        float* xTile = packedBlock + (long)kc * row0;
                        float* yTile = _y + (long)row0 * n + j0;
                        float* residual = last && _residual != null ? _residual + (long)row0 * n + j0 : null;
                        if (width == W)
                        {
                            RunTile(rows, xTile, panel, subPanel, kc, yTile, n, accumulate, bias, residual, n);
                            if (last) ApplyEpilogue(yTile, row0, rows, j0, W);
                            continue;
                        }
                        for (int r = 0; r < rows; r++)
                        {
                            for (int j = 0; j < W; j++)
                            {
                                edgeY[r * W + j] = accumulate && j < width ? yTile[(long)r * n + j] : 0f;
                                edgeResidual[r * W + j] = residual != null && j < width ? residual[(long)r * n + j] : 0f;
                            }
                        }
                        for (int j = 0; j < W; j++) edgeBias[j] = bias != null && j < width ? bias[j] : 0f;
                        RunTile(rows, xTile, panel, subPanel, kc, edgeY, W, accumulate, bias != null ? edgeBias : null, residual != null ? edgeResidual : null, W);
                        for (int r = 0; r < rows; r++)
                            for (int j = 0; j < width; j++)
                                yTile[(long)r * n + j] = edgeY[r * W + j];
                        if (last) ApplyEpilogue(yTile, row0, rows, j0, width);
                    }
                }
            }
        }

        private void ApplyEpilogue(float* yTile, int row0, int rows, int column, int width)
        {
            if (typeof(TEpilogue) == typeof(NoEpilogue)) return;
            for (int r = 0; r < rows; r++)
                _epilogue.Apply(new Span<float>(yTile + (long)r * _n, width), row0 + r, column);
        }

        private void RunTile(int rows, float* xTile, float* panel, nint subPanel, int kc, float* y, nint ldy, bool accumulate, float* bias, float* residual, nint ldr)
        {
            switch (_path)
            {
                case GemmPath.Vector512: GemmKernel512.Tile(rows, xTile, panel, subPanel, kc, y, ldy, accumulate, bias, residual, ldr); break;
                case GemmPath.Vector256: GemmKernel256.Tile(rows, xTile, panel, subPanel, kc, y, ldy, accumulate, bias, residual, ldr); break;
                default: GemmKernelPortable.Tile(rows, xTile, panel, subPanel, kc, y, ldy, accumulate, bias, residual, ldr); break;
            }
        }
    }
}
