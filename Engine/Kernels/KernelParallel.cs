using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace BertSharp.Engine.Kernels;

/// <summary>
/// The body of a parallel loop (<see cref="KernelParallel.For{TPieces}"/>): a struct carrying the loop's arguments in
/// fields, so dispatch allocates nothing. Run is called concurrently from several threads and must not mutate the struct.
/// </summary>
public interface IParallelPieces
{
    /// <summary>
    /// Runs piece <paramref name="piece"/>. <paramref name="slot"/> (0 ≤ slot &lt; the call's thread count, 0 = the caller)
    /// identifies the thread for the whole call: index per-thread scratch with it. A piece's result must not depend on
    /// which slot runs it.
    /// </summary>
    void Run(int piece, int slot);
}

/// <summary>A loop with no pieces (the absent second phase of a one-phase loop).</summary>
internal readonly struct NoPieces : IParallelPieces
{
    public void Run(int piece, int slot) { }
}

/// <summary>
/// One parallel call: the pool's view of it (join, wait, first failure). Threads join late or not at all; the work
/// is claimed piece by piece from shared counters, so a thread that starts late (a busy core) simply claims fewer.
/// </summary>
internal abstract class ParallelWork
{
    private int _helperSlots;   // pool threads that may still join this run; <= 0: closed
    private int _activeHelpers; // pool threads inside RunPieces right now
    private Exception? _error;

    /// <summary>Claims and runs pieces until none are left to claim; runs concurrently on the caller and on helpers.</summary>
    protected abstract void RunPieces();

    /// <summary>True once every piece has finished (claimed pieces may still be running when RunPieces returns).</summary>
    protected abstract bool IsComplete { get; }

    /// <summary>Records the first exception of a piece; <see cref="KernelParallel"/> rethrows it on the caller.</summary>
    protected void Fail(Exception error) => Interlocked.CompareExchange(ref _error, error, null);

    internal void Open(int helpers)
    {
        _error = null;
        Volatile.Write(ref _helperSlots, helpers);
    }

    // A pool thread joins only while the run is open; the caller waits for every helper that joined.
    internal void RunAsHelper()
    {
        Interlocked.Increment(ref _activeHelpers);
        try
        {
            if (Interlocked.Decrement(ref _helperSlots) >= 0)
                RunPiecesCatching();
        }
        finally
        {
            Interlocked.Decrement(ref _activeHelpers);
        }
    }

    internal void RunPiecesCatching()
    {
        try { RunPieces(); }
        catch (Exception e) { Fail(e); }
    }

    internal void WaitAndClose()
    {
        var spin = new SpinWait();
        while (!IsComplete) spin.SpinOnce(sleep1Threshold: -1);
        Interlocked.Exchange(ref _helperSlots, int.MinValue / 2);
        while (Volatile.Read(ref _activeHelpers) != 0) spin.SpinOnce(sleep1Threshold: -1);
    }

    internal void ThrowIfFailed()
    {
        if (Interlocked.Exchange(ref _error, null) is { } error)
            ExceptionDispatchInfo.Capture(error).Throw();
    }
}

/// <summary>
/// The one claim loop of the engine: phase one's pieces, a barrier, phase two's pieces. Each joining thread takes a
/// slot once; every claimed piece is counted as finished, failed or not. One reusable instance per calling thread and
/// body types (a nested call on the same thread gets a fresh one).
/// </summary>
internal sealed class PieceLoop<TFirst, TSecond> : ParallelWork
    where TFirst : struct, IParallelPieces
    where TSecond : struct, IParallelPieces
{
    [ThreadStatic] private static PieceLoop<TFirst, TSecond>? t_cached;

    private TFirst _first;
    private TSecond _second;
    private int _firstCount, _secondCount;
    private int _slots, _nextFirst, _doneFirst, _nextSecond, _doneSecond;
    private bool _inUse;

    public static PieceLoop<TFirst, TSecond> Rent(in TFirst first, int firstCount, in TSecond second, int secondCount)
    {
        PieceLoop<TFirst, TSecond>? cached = t_cached;
        PieceLoop<TFirst, TSecond> loop = cached is not null && !cached._inUse ? cached : new();
        t_cached ??= loop;
        loop._inUse = true;
        loop._first = first; loop._firstCount = firstCount;
        loop._second = second; loop._secondCount = secondCount;
        loop._slots = loop._nextFirst = loop._doneFirst = loop._nextSecond = loop._doneSecond = 0;
        return loop;
    }

    /// <summary>Drops the bodies (they may reference caller buffers) and makes the instance reusable.</summary>
    public void Return()
    {
        _first = default; _second = default;
        _inUse = false;
    }

    protected override bool IsComplete =>
        Volatile.Read(ref _doneFirst) >= _firstCount && Volatile.Read(ref _doneSecond) >= _secondCount;

    protected override void RunPieces()
    {
        int slot = Interlocked.Increment(ref _slots) - 1;
        Claim(ref _first, _firstCount, ref _nextFirst, ref _doneFirst, slot);
        if (_secondCount == 0) return;
        var spin = new SpinWait();
        while (Volatile.Read(ref _doneFirst) < _firstCount) spin.SpinOnce(sleep1Threshold: -1);
        Claim(ref _second, _secondCount, ref _nextSecond, ref _doneSecond, slot);
    }

    private void Claim<T>(ref T pieces, int count, ref int next, ref int done, int slot) where T : struct, IParallelPieces
    {
        int piece;
        while ((piece = Interlocked.Increment(ref next) - 1) < count)
        {
            try { pieces.Run(piece, slot); }
            catch (Exception e) { Fail(e); }
            finally { Interlocked.Increment(ref done); }
        }
    }
}

/// <summary>
/// A tiny fixed worker pool for kernels: ProcessorCount - 1 background threads plus the calling thread, which always
/// works too. No allocation per call. Idle workers spin for <see cref="SpinMicroseconds"/> (yielding the core to
/// anyone else who wants it) before blocking, so back-to-back kernel calls do not pay a thread wake-up each.
/// A call made while another parallel kernel call is running (from inside a kernel, or from a second caller thread)
/// runs on its caller alone, so kernels never oversubscribe the cores.
/// </summary>
public static class KernelParallel
{
    /// <summary>Threads a kernel uses when the caller passes maxThreads &lt;= 0: every core.</summary>
    public static int ProcessorCount { get; } = Math.Max(1, Environment.ProcessorCount);

    /// <summary>How long an idle worker keeps looking for the next call before it blocks.</summary>
    public const int SpinMicroseconds = 200;

    private static readonly object s_gate = new();
    private static Worker[] s_workers = [];
    private static ParallelWork? s_work;
    private static long s_workerAllocatedBytes;

    [ThreadStatic] private static bool t_insideKernel;

    /// <summary>Bytes the pool's worker threads have allocated so far (for allocation tests; the caller's own thread is
    /// measured with GC.GetAllocatedBytesForCurrentThread).</summary>
    internal static long WorkerAllocatedBytes => Interlocked.Read(ref s_workerAllocatedBytes);

    /// <summary>Resolves a caller's thread request: &lt;= 0 means all cores; never more than the cores.</summary>
    public static int ResolveThreads(int maxThreads) =>
        maxThreads <= 0 ? ProcessorCount : Math.Min(maxThreads, ProcessorCount);

    /// <summary>
    /// Runs pieces 0 … count − 1 of <paramref name="pieces"/> on the calling thread plus up to threads − 1 pool
    /// workers (threads from <paramref name="maxThreads"/>: ≤ 0 all cores, never more than count) and returns when every
    /// piece is done, rethrowing the first failure. Runs on the caller alone when one thread is asked for or the pool is
    /// busy (a call from inside a kernel, or from a second caller thread). Allocates nothing after the first call.
    /// </summary>
    public static void For<TPieces>(int count, in TPieces pieces, int maxThreads) where TPieces : struct, IParallelPieces =>
        For(count, pieces, 0, default(NoPieces), maxThreads);

    /// <summary>
    /// Two phases in one hand-off: every piece of <paramref name="first"/>, then — once all of them have finished —
    /// every piece of <paramref name="second"/> (e.g. pack the operand, then multiply). A thread keeps its slot across
    /// both phases.
    /// </summary>
    public static void For<TFirst, TSecond>(int firstCount, in TFirst first, int secondCount, in TSecond second, int maxThreads)
        where TFirst : struct, IParallelPieces
        where TSecond : struct, IParallelPieces
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstCount);
        ArgumentOutOfRangeException.ThrowIfNegative(secondCount);
        if (firstCount + secondCount == 0) return;
        int threads = Math.Min(ResolveThreads(maxThreads), Math.Max(firstCount, secondCount));
        var loop = PieceLoop<TFirst, TSecond>.Rent(first, firstCount, second, secondCount);
        try { Run(loop, threads); }
        finally { loop.Return(); }
    }

    private static void Run(ParallelWork work, int threads)
    {
        if (threads <= 1 || t_insideKernel || !Monitor.TryEnter(s_gate))
        {
            work.RunPiecesCatching();
            work.ThrowIfFailed();
            return;
        }
        try
        {
            EnsureWorkers(threads - 1);
            work.Open(threads - 1);
            Volatile.Write(ref s_work, work);
            for (int i = 0; i < threads - 1; i++)
                s_workers[i].Wake();

            t_insideKernel = true;
            try { work.RunPiecesCatching(); }
            finally { t_insideKernel = false; }
            work.WaitAndClose();
            Volatile.Write(ref s_work, null);
        }
        finally
        {
            Monitor.Exit(s_gate);
        }
        work.ThrowIfFailed();
    }

    // Called under s_gate.
    private static void EnsureWorkers(int needed)
    {
        if (s_workers.Length >= needed) return;
        var workers = new Worker[needed];
        Array.Copy(s_workers, workers, s_workers.Length);
        for (int i = s_workers.Length; i < needed; i++)
            workers[i] = new Worker(i + 1);
        s_workers = workers;
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _signal = new(0);
        private int _pending;  // 1: a call is waiting for this worker
        private int _sleeping; // 1: blocked (or about to block) on _signal

        public Worker(int index)
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"BertSharp kernel worker {index}" };
            thread.Start();
        }

        // Dekker-style handshake with the idle loop: either the worker sees _pending, or the waker sees _sleeping.
        public void Wake()
        {
            Interlocked.Exchange(ref _pending, 1);
            if (Volatile.Read(ref _sleeping) == 1)
                _signal.Release();
        }

        private void Loop()
        {
            t_insideKernel = true;
            long spinTicks = Stopwatch.Frequency * SpinMicroseconds / 1_000_000;
            while (true)
            {
                long idleSince = Stopwatch.GetTimestamp();
                var spin = new SpinWait();
                while (Volatile.Read(ref _pending) == 0)
                {
                    if (Stopwatch.GetTimestamp() - idleSince < spinTicks)
                    {
                        spin.SpinOnce(sleep1Threshold: -1);
                        continue;
                    }
                    Interlocked.Exchange(ref _sleeping, 1);
                    if (Volatile.Read(ref _pending) == 0)
                        _signal.Wait(); // a leftover release only makes this loop check _pending once more
                    Volatile.Write(ref _sleeping, 0);
                }
                Volatile.Write(ref _pending, 0);

                if (Volatile.Read(ref s_work) is { } work)
                {
                    long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
                    work.RunAsHelper();
                    Interlocked.Add(ref s_workerAllocatedBytes, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
                }
            }
        }
    }
}
