namespace BertSharp.Server;

/// <summary>
/// --max-concurrent-requests across every model route: a request past the limit is answered 429 before any work.
/// </summary>
internal sealed class Admission(int maxConcurrentRequests)
{
    private int _inFlight;

    /// <summary>Requests admitted and not yet answered.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Admits a request (dispose the ticket when it is answered) or throws 429.</summary>
    public Ticket Enter()
    {
        if (Interlocked.Increment(ref _inFlight) > maxConcurrentRequests)
        {
            Interlocked.Decrement(ref _inFlight);
            throw ApiException.Overloaded($"model is overloaded: {maxConcurrentRequests} requests in flight (--max-concurrent-requests); retry later");
        }
        return new Ticket(this);
    }

    public readonly struct Ticket(Admission owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._inFlight);
    }
}
