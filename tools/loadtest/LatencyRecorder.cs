namespace BertSharp.LoadTest;

/// <summary>Per-client latency samples (milliseconds) of requests that completed inside the measured window.</summary>
internal sealed class LatencyRecorder
{
    private readonly List<double>[] _perClient;

    public LatencyRecorder(int clients)
    {
        _perClient = new List<double>[clients];
        for (int i = 0; i < clients; i++) _perClient[i] = new List<double>(4096);
    }

    public void Add(int client, double milliseconds) => _perClient[client].Add(milliseconds);

    /// <summary>All samples, sorted ascending.</summary>
    public double[] Sorted()
    {
        var all = new List<double>();
        foreach (List<double> l in _perClient) all.AddRange(l);
        double[] a = all.ToArray();
        Array.Sort(a);
        return a;
    }

    /// <summary>The nearest-rank percentile p (0..100) of sorted samples.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
