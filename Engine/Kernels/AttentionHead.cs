using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// One attention head, fused: for each query i,
///   p[i, j] = softmax_j(scale · q_i·k_j) over the keys j with keyMask[j] ≠ 0 (masked keys get p = 0),
///   context[i, :] = Σ_j p[i, j] · v_j.
/// q, k, v, context: [len, d] row-major with their own row strides (a head is a column slice of a wider matrix).
///
/// Queries go in blocks of 32, so no [len, len] matrix is ever built. Per block, in the transposed layout the GEMM
/// micro-kernels want (their B operand is a [kc, 32] panel stored as two [kc, 16] sub-panels, their A operand a [kc, R]
/// tile, see GemmKernel512 and PackedWeight):
///   sᵀ [len, 32] = K · Q_blockᵀ          A = K packed in row tiles [d, R] (once per head), B = Q_blockᵀ [d, 32]
///   e = exp(scale·(s − max s)) column by column (vectorised across the 32 queries, no horizontal reductions),
///       written as the next product's B operand
///   ctxᵀ [d, 32] = Vᵀ · e                A = Vᵀ packed in tiles [len, R] (once per head), B = e [len, 32]
///   context[i, :] = ctxᵀ[:, i] / Σ_j e[j, i]
/// Every score is one FMA chain over p = 0..d−1 in order and every context element one FMA chain over j in order, so
/// results do not depend on the thread, and the Vector512 and Vector256 paths agree bit for bit.
/// </summary>
public static unsafe class AttentionHead
{
    /// <summary>Queries per block: the width of a GEMM weight panel.</summary>
    private const int Block = PackedWeight.PanelWidth;
    /// <summary>Columns per sub-panel of a B operand: queries 0..15 of a block, then 16..31.</summary>
    private const int Half = PackedWeight.SubPanelWidth;

    /// <summary>Floats of scratch Compute needs for a head of <paramref name="len"/> tokens and width <paramref name="d"/>.</summary>
    public static int ScratchFloats(int len, int d) => 2 * len * d + 2 * d * Block + 2 * len * Block + Block;

    /// <param name="probabilities">empty, or [len, ldp] to receive p (row i = query i; columns ≥ len untouched)</param>
    /// <param name="keyMask">empty (every key visible) or [len], 0 = masked key</param>
    /// <param name="scratch">at least <see cref="ScratchFloats"/> floats</param>
    /// <param name="path">micro-kernel to use (tests force each; <see cref="GemmPath.Auto"/> = the best this CPU has)</param>
    public static void Compute(int len, int d, ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> k, int ldk,
        ReadOnlySpan<float> v, int ldv, float scale, ReadOnlySpan<int> keyMask, Span<float> context, int ldc,
        Span<float> probabilities, int ldp, Span<float> scratch, GemmPath path = GemmPath.Auto) =>
        Compute(len, d, q, ldq, k, ldk, v, ldv, scale, keyMask, context, ldc, probabilities, ldp, scratch, default, path);

    /// <summary>
    /// Same, with a relative position bias added to the scaled scores: p[i, ·] = softmax_j(scale · q_i·k_j + bias[i − j]),
    /// where bias[i − j] = <paramref name="relativeBias"/>[len − 1 + i − j] (so it holds 2·len − 1 values, distance
    /// −(len − 1) first). Empty = no bias, and then nothing is added (the plain path does no extra work).
    /// </summary>
    public static void Compute(int len, int d, ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> k, int ldk,
        ReadOnlySpan<float> v, int ldv, float scale, ReadOnlySpan<int> keyMask, Span<float> context, int ldc,
        Span<float> probabilities, int ldp, Span<float> scratch, ReadOnlySpan<float> relativeBias, GemmPath path = GemmPath.Auto)
    {
        Check(len, d, q.Length, ldq, k.Length, ldk, v.Length, ldv, keyMask.Length, context.Length, ldc, probabilities.Length, ldp);
        CheckBias(len, relativeBias.Length);
        if (scratch.Length < ScratchFloats(len, d))
            throw new ArgumentException($"scratch has {scratch.Length} floats, needs {ScratchFloats(len, d)}", nameof(scratch));
        if (path == GemmPath.Auto) path = Gemm.BestPath;
        if (!Gemm.IsSupported(path)) throw new PlatformNotSupportedException($"GemmPath.{path} is not supported on this CPU.");
        if (len == 0 || d == 0) return;

        bool anyMasked = !keyMask.IsEmpty && keyMask[..len].Contains(0);
        if (anyMasked && !keyMask[..len].ContainsAnyExcept(0))
        {
            // No visible key: every probability is 0 and so is the context (the reference softmax's convention).
            for (int i = 0; i < len; i++)
            {
                context.Slice(i * ldc, d).Clear();
                if (!probabilities.IsEmpty) probabilities.Slice(i * ldp, len).Clear();
            }
            return;
        }

        bool wide = path == GemmPath.Vector512 && d % 16 == 0;    // 16×16 zmm transposes for the packing
        float* transposed = stackalloc float[16 * 16];
        bool biased = !relativeBias.IsEmpty;
        fixed (float* pq = q, pk = k, pv = v, pc = context, pp = probabilities, ps = scratch, pb = relativeBias)
        fixed (int* pm = keyMask)
        {
            int tileRows = TileRows(path);
            nint qHalf = (nint)d * Half, eHalf = (nint)len * Half;
            float* kPacked = ps;                        // row tiles of K: tile at key j0, R rows: [d, R]
            float* vPacked = kPacked + len * d;         // tiles of Vᵀ: tile at dim r0, R dims: [len, R]
            float* qPanel = vPacked + len * d;          // Q_blockᵀ [d, 32] as two [d, 16] sub-panels, qHalf apart
            float* scores = qPanel + d * Block;         // sᵀ [len, 32], row-major
            float* e = scores + len * Block;            // e [len, 32] as two [len, 16] sub-panels, eHalf apart
            float* ctxT = e + len * Block;              // ctxᵀ [d, 32], row-major
            float* inverseSum = ctxT + d * Block;       // [32]

            int j0 = 0;
            if (wide)
                for (; j0 + 16 <= len; j0 += 16)
                    PackKeyPairTransposed(pk + (nint)j0 * ldk, ldk, d, kPacked + (nint)j0 * d, transposed);
            for (; j0 < len; j0 += tileRows)
                PackRowsTransposed(pk + (nint)j0 * ldk, ldk, Math.Min(tileRows, len - j0), d, kPacked + (nint)j0 * d);
            for (int r0 = 0; r0 < d; r0 += tileRows)
                PackColumns(pv + r0, ldv, len, Math.Min(tileRows, d - r0), vPacked + (nint)r0 * len);

            for (int i0 = 0; i0 < len; i0 += Block)
            {
                int cols = Math.Min(Block, len - i0);
                bool fullBlock = wide && cols == Block;
                if (fullBlock)
                    for (int p0 = 0; p0 < d; p0 += 16)
                    {
                        Transpose16.Block(pq + (nint)i0 * ldq + p0, ldq, qPanel + p0 * Half, Half);
                        Transpose16.Block(pq + (nint)(i0 + 16) * ldq + p0, ldq, qPanel + qHalf + p0 * Half, Half);
                    }
                else PackQueriesTransposed(pq + (nint)i0 * ldq, ldq, cols, d, qPanel, qHalf);

                for (j0 = 0; j0 < len; j0 += tileRows)
                    RunTile(path, Math.Min(tileRows, len - j0), kPacked + (nint)j0 * d, qPanel, qHalf, d, scores + (nint)j0 * Block);

                float softmaxScale = scale;
                if (biased)
                {
                    AddRelativeBias(scores, len, i0, cols, scale, pb);
                    softmaxScale = 1f;
                }
                if (path == GemmPath.Vector512) SoftmaxColumns512(scores, e, eHalf, len, softmaxScale, anyMasked ? pm : null, inverseSum);
                else SoftmaxColumns(scores, e, eHalf, len, softmaxScale, anyMasked ? pm : null, inverseSum);

                for (int r0 = 0; r0 < d; r0 += tileRows)
                    RunTile(path, Math.Min(tileRows, d - r0), vPacked + (nint)r0 * len, e, eHalf, len, ctxT + (nint)r0 * Block);

                // context[i0 + c, r] = ctxᵀ[r, c] / Σ_j e[j, c]
                ScaleColumns(ctxT, d, inverseSum);
                if (fullBlock)
                    for (int r0 = 0; r0 < d; r0 += 16)
                    {
                        Transpose16.Block(ctxT + r0 * Block, Block, pc + (nint)i0 * ldc + r0, ldc);
                        Transpose16.Block(ctxT + r0 * Block + 16, Block, pc + (nint)(i0 + 16) * ldc + r0, ldc);
                    }
                else
                    for (int c = 0; c < cols; c++)
                    {
                        float* dst = pc + (nint)(i0 + c) * ldc;
                        for (int r = 0; r < d; r++) dst[r] = ctxT[r * Block + c];
                    }
                if (pp != null)
                    for (int c = 0; c < cols; c++)
                    {
                        float inv = inverseSum[c];
                        float* dst = pp + (nint)(i0 + c) * ldp, column = e + c / Half * eHalf + c % Half;
                        for (int j = 0; j < len; j++) dst[j] = column[j * Half] * inv;
                    }
            }
        }
    }

    /// <summary>
    /// sᵀ[j, c] = scale · sᵀ[j, c] + bias[len − 1 + (i0 + c) − j] for the block's queries c &lt; cols: along a row of sᵀ
    /// (one key, 32 queries) the distance grows by one per query, so each row adds a contiguous slice of the bias.
    /// </summary>
    private static void AddRelativeBias(float* scores, int len, int i0, int cols, float scale, float* bias)
    {
        for (int j = 0; j < len; j++)
        {
            var row = new Span<float>(scores + j * Block, cols);
            System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(row, scale, new ReadOnlySpan<float>(bias + (len - 1 + i0 - j), cols), row);
        }
    }

    private static void CheckBias(int len, int biasLength)
    {
        if (biasLength != 0 && len > 0 && biasLength < 2 * len - 1)
            throw new ArgumentException($"relativeBias has {biasLength} values, needs 2·len − 1 = {2 * len - 1} (or none)", "relativeBias");
    }

    /// <summary>m[r, c] *= scale[c] for m: [rows, 32].</summary>
    private static void ScaleColumns(float* m, int rows, float* scale)
    {
        int w = Vector<float>.Count;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < Block; c += w)
                (Vector.Load(m + r * Block + c) * Vector.Load(scale + c)).Store(m + r * Block + c);
    }

    /// <summary>Rows per register tile: 8 on Vector512 (so 16 keys transpose into two tiles), the GEMM's height otherwise.</summary>
    private static int TileRows(GemmPath path) => path == GemmPath.Vector512 ? 8 : Gemm.TileRows(path);

    /// <summary>
    /// Keys j0..j0+15 (src rows, stride lds) into two 8-row tiles [d, 8] at dst and dst + 8·d, through 16×16
    /// transposes of d/16 column blocks. d is a multiple of 16; transposed: 256 floats of scratch.
    /// </summary>
    private static void PackKeyPairTransposed(float* src, nint lds, int d, float* dst, float* transposed)
    {
        float* second = dst + 8 * d;
        for (int p0 = 0; p0 < d; p0 += 16)
        {
            Transpose16.Block(src + p0, lds, transposed, 16);          // transposed[p, key]
            for (int p = 0; p < 16; p++)
            {
                Vector256.Load(transposed + p * 16).Store(dst + (p0 + p) * 8);
                Vector256.Load(transposed + p * 16 + 8).Store(second + (p0 + p) * 8);
            }
        }
    }

    /// <summary>dst[p·rows + r] = src[r·lds + p] for r &lt; rows, p &lt; d (an A tile [d, rows]).</summary>
    private static void PackRowsTransposed(float* src, nint lds, int rows, int d, float* dst)
    {
        for (int r = 0; r < rows; r++)
        {
            float* s = src + r * lds;
            for (int p = 0; p < d; p++) dst[p * rows + r] = s[p];
        }
    }

    /// <summary>
    /// Queries r &lt; rows (src rows, stride lds) transposed into the two [d, 16] sub-panels of a [d, 32] B operand:
    /// dst[(r / 16)·half + p·16 + r % 16] = src[r·lds + p]; queries rows..31 are zero.
    /// </summary>
    private static void PackQueriesTransposed(float* src, nint lds, int rows, int d, float* dst, nint half)
    {
        for (int r = 0; r < Block; r++)
        {
            float* column = dst + r / Half * half + r % Half;
            if (r < rows)
            {
                float* s = src + r * lds;
                for (int p = 0; p < d; p++) column[p * Half] = s[p];
            }
            else
                for (int p = 0; p < d; p++) column[p * Half] = 0f;
        }
    }

    /// <summary>dst[p·cols + r] = src[p·lds + r] for p &lt; rows, r &lt; cols (a column slice, rows kept contiguous).</summary>
    private static void PackColumns(float* src, nint lds, int rows, int cols, float* dst)
    {
        if (cols == 8)
        {
            for (int p = 0; p < rows; p++) Vector256.Load(src + p * lds).Store(dst + p * 8);
            return;
        }
        for (int p = 0; p < rows; p++)
            new ReadOnlySpan<float>(src + p * lds, cols).CopyTo(new Span<float>(dst + p * cols, cols));
    }

    /// <summary>c [rows, 32] (row stride 32) = a [kc, rows] tile · b (two [kc, 16] sub-panels, bh floats apart).</summary>
    private static void RunTile(GemmPath path, int rows, float* a, float* b, nint bh, int kc, float* c)
    {
        switch (path)
        {
            case GemmPath.Vector512: GemmKernel512.Tile(rows, a, b, bh, kc, c, Block, false, null, null, 0); break;
            case GemmPath.Vector256: GemmKernel256.Tile(rows, a, b, bh, kc, c, Block, false, null, null, 0); break;
            default: GemmKernelPortable.Tile(rows, a, b, bh, kc, c, Block, false, null, null, 0); break;
        }
    }

    /// <summary>
    /// s: [len, 32] row-major, column c = the scores of one query. Writes e = exp(scale·s − scale·max) (masked keys: 0)
    /// as two [len, 16] sub-panels (columns 16..31 eHalf floats after columns 0..15) and 1 / Σ_j e[j, c] to
    /// inverseSum[c]. mask: null, or [len] with 0 = masked (at least one key visible).
    /// </summary>
    private static void SoftmaxColumns512(float* s, float* e, nint eHalf, int len, float scale, int* mask, float* inverseSum)
    {
        var max0 = Vector512.Create(float.NegativeInfinity); var max1 = max0;
        for (int j = 0; j < len; j++)
        {
            if (mask != null && mask[j] == 0) continue;
            max0 = Vector512.Max(max0, Vector512.Load(s + j * Block));
            max1 = Vector512.Max(max1, Vector512.Load(s + j * Block + 16));
        }
        max0 *= scale; max1 *= scale;
        var sum0 = Vector512<float>.Zero; var sum1 = sum0;
        for (int j = 0; j < len; j++)
        {
            float* row = s + j * Block, e0At = e + j * Half, e1At = e0At + eHalf;
            if (mask != null && mask[j] == 0) { Vector512<float>.Zero.Store(e0At); Vector512<float>.Zero.Store(e1At); continue; }
            var e0 = VectorExp.Exp(Vector512.Load(row) * scale - max0);
            var e1 = VectorExp.Exp(Vector512.Load(row + 16) * scale - max1);
            e0.Store(e0At); e1.Store(e1At);
            sum0 += e0; sum1 += e1;
        }
        (Vector512<float>.One / sum0).Store(inverseSum);
        (Vector512<float>.One / sum1).Store(inverseSum + 16);
    }

    /// <summary>As <see cref="SoftmaxColumns512"/> on Vector&lt;float&gt; (any width that divides 16, incl. ARM64 NEON).</summary>
    private static void SoftmaxColumns(float* s, float* e, nint eHalf, int len, float scale, int* mask, float* inverseSum)
    {
        int w = Vector<float>.Count;
        for (int c = 0; c < Block; c += w)
        {
            var max = new Vector<float>(float.NegativeInfinity);
            for (int j = 0; j < len; j++)
                if (mask == null || mask[j] != 0) max = Vector.Max(max, Vector.Load(s + j * Block + c));
            max *= scale;
            var sum = Vector<float>.Zero;
            for (int j = 0; j < len; j++)
            {
                float* to = e + c / Half * eHalf + j * Half + c % Half;
                if (mask != null && mask[j] == 0) { Vector<float>.Zero.Store(to); continue; }
                var ej = VectorExp.Exp(Vector.Load(s + j * Block + c) * scale - max);
                ej.Store(to);
                sum += ej;
            }
            (Vector<float>.One / sum).Store(inverseSum + c);
        }
    }

    /// <summary>Reference: scores, mask, softmax and products in double, one query at a time.</summary>
    public static void Reference(int len, int d, ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> k, int ldk,
        ReadOnlySpan<float> v, int ldv, float scale, ReadOnlySpan<int> keyMask, Span<float> context, int ldc,
        Span<float> probabilities, int ldp) =>
        Reference(len, d, q, ldq, k, ldk, v, ldv, scale, keyMask, context, ldc, probabilities, ldp, default);

    /// <summary>Reference with a relative position bias: score(i, j) = scale · q_i·k_j + relativeBias[len − 1 + i − j].</summary>
    public static void Reference(int len, int d, ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> k, int ldk,
        ReadOnlySpan<float> v, int ldv, float scale, ReadOnlySpan<int> keyMask, Span<float> context, int ldc,
        Span<float> probabilities, int ldp, ReadOnlySpan<float> relativeBias)
    {
        Check(len, d, q.Length, ldq, k.Length, ldk, v.Length, ldv, keyMask.Length, context.Length, ldc, probabilities.Length, ldp);
        CheckBias(len, relativeBias.Length);
        var p = new double[len];
        for (int i = 0; i < len; i++)
        {
            double max = double.NegativeInfinity;
            for (int j = 0; j < len; j++)
            {
                if (!keyMask.IsEmpty && keyMask[j] == 0) { p[j] = double.NegativeInfinity; continue; }
                double s = 0;
                for (int t = 0; t < d; t++) s += (double)q[i * ldq + t] * k[j * ldk + t];
                p[j] = s * scale + (relativeBias.IsEmpty ? 0 : relativeBias[len - 1 + i - j]);
                max = Math.Max(max, p[j]);
            }
            double sum = 0;
            for (int j = 0; j < len; j++) { p[j] = double.IsNegativeInfinity(max) ? 0 : Math.Exp(p[j] - max); sum += p[j]; }
            for (int j = 0; j < len; j++) p[j] = sum == 0 ? 0 : p[j] / sum;
            for (int t = 0; t < d; t++)
            {
                double acc = 0;
                for (int j = 0; j < len; j++) acc += p[j] * v[j * ldv + t];
                context[i * ldc + t] = (float)acc;
            }
            if (!probabilities.IsEmpty)
                for (int j = 0; j < len; j++) probabilities[i * ldp + j] = (float)p[j];
        }
    }

    private static void Check(int len, int d, int qLen, int ldq, int kLen, int ldk, int vLen, int ldv, int maskLen,
        int cLen, int ldc, int pLen, int ldp)
    {
        if (len < 0 || d < 0) throw new ArgumentOutOfRangeException(nameof(len), $"negative size len={len} d={d}");
        if (len == 0 || d == 0) return;
        static void Need(string name, int rows, int cols, int ld, int have)
        {
            if (ld < cols || (long)(rows - 1) * ld + cols > have)
                throw new ArgumentException($"{name}: [{rows},{cols}] with row stride {ld} needs {(long)(rows - 1) * ld + cols} floats, has {have}", name);
        }
        Need("q", len, d, ldq, qLen);
        Need("k", len, d, ldk, kLen);
        Need("v", len, d, ldv, vLen);
        Need("context", len, d, ldc, cLen);
        if (pLen != 0) Need("probabilities", len, len, ldp, pLen);
        if (maskLen != 0 && maskLen < len) throw new ArgumentException($"keyMask has {maskLen} entries, needs {len} (or none)", "keyMask");
    }
}
