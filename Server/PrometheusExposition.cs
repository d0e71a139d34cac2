using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace BertSharp.Server;

/// <summary>
/// A MeterListener over one <see cref="Meter"/> that keeps counters, gauges and bucketed histograms per label set and
/// writes them in the Prometheus text exposition format 0.0.4 (# HELP, # TYPE; histograms as _bucket{le}, _sum,
/// _count; cumulative buckets ending at le="+Inf"). Series appear in first-seen order per metric.
/// </summary>
public sealed class PrometheusExposition : IDisposable
{
    private sealed class Series(string labels, int buckets)
    {
        public readonly string Labels = labels;
        public readonly long[] Buckets = new long[buckets + 1];    // last = +Inf
        public double Sum;
        public long Count;
    }

    private sealed class Metric(Instrument instrument, double[]? bounds)
    {
        public readonly Instrument Instrument = instrument;
        public readonly double[]? Bounds = bounds;
        public readonly ConcurrentDictionary<string, Series> Series = new();
        public readonly List<string> Order = [];
    }

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, Metric> _metrics = new();
    private readonly List<Metric> _order = [];

    /// <param name="buckets">upper bounds per histogram name (sorted, ascending); histograms not named get no buckets but +Inf</param>
    public PrometheusExposition(Meter meter, IReadOnlyDictionary<string, double[]> buckets)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, meter)) return;
            var metric = new Metric(instrument, instrument is Histogram<double> ? buckets.GetValueOrDefault(instrument.Name, []) : null);
            _metrics[instrument] = metric;
            lock (_order) _order.Add(metric);
            listener.EnableMeasurementEvents(instrument, metric);
        };
        _listener.SetMeasurementEventCallback<long>((i, value, tags, state) => Record((Metric)state!, value, tags));
        _listener.SetMeasurementEventCallback<int>((i, value, tags, state) => Record((Metric)state!, value, tags));
        _listener.SetMeasurementEventCallback<double>((i, value, tags, state) => Record((Metric)state!, value, tags));
        _listener.Start();
    }

    private static void Record(Metric metric, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string labels = Labels(tags);
        Series series = metric.Series.GetOrAdd(labels, l =>
        {
            lock (metric.Order) metric.Order.Add(l);
            return new Series(l, metric.Bounds?.Length ?? 0);
        });
        lock (series)
        {
            if (metric.Instrument is ObservableGauge<int> or ObservableGauge<long> or ObservableGauge<double>)
            {
                series.Sum = value;                                  // a gauge keeps its last observation
                return;
            }
            series.Sum += value;
            series.Count++;
            if (metric.Bounds is { } bounds)
            {
                int b = 0;
                while (b < bounds.Length && value > bounds[b]) b++;
                series.Buckets[b]++;
            }
        }
    }

    /// <summary>{a="x",b="y"} with Prometheus escaping (\\, \", \n), or "" without tags.</summary>
    private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        if (tags.IsEmpty) return "";
        var sb = new StringBuilder("{");
        for (int i = 0; i < tags.Length; i++)
        {
            if (i > 0) sb.Append(',');
            sb.Append(tags[i].Key).Append("=\"");
            string v = Convert.ToString(tags[i].Value, CultureInfo.InvariantCulture) ?? "";
            sb.Append(v.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal));
            sb.Append('"');
        }
        return sb.Append('}').ToString();
    }

    /// <summary>The text exposition of every metric (observable gauges are read now).</summary>
    public string Write()
    {
        _listener.RecordObservableInstruments();
        var sb = new StringBuilder();
        Metric[] metrics;
        lock (_order) metrics = [.. _order];
        foreach (Metric m in metrics)
        {
            string name = m.Instrument.Name;
            string type = m.Instrument switch
            {
                Histogram<double> => "histogram",
                Counter<long> or Counter<int> or Counter<double> => "counter",
                _ => "gauge",
            };
            sb.Append("# HELP ").Append(name).Append(' ').Append(m.Instrument.Description ?? name).Append('\n');
            sb.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
            string[] order;
            lock (m.Order) order = [.. m.Order];
            if (order.Length == 0 && type != "histogram") sb.Append(name).Append(" 0\n");
            foreach (string labels in order)
            {
                Series s = m.Series[labels];
                lock (s)
                {
                    if (type == "histogram")
                    {
                        long cumulative = 0;
                        double[] bounds = m.Bounds!;
                        for (int b = 0; b <= bounds.Length; b++)
                        {
                            cumulative += s.Buckets[b];
                            string le = b < bounds.Length ? Number(bounds[b]) : "+Inf";
                            sb.Append(name).Append("_bucket").Append(WithLabel(labels, "le", le)).Append(' ').Append(cumulative).Append('\n');
                        }
                        sb.Append(name).Append("_sum").Append(labels).Append(' ').Append(Number(s.Sum)).Append('\n');
                        sb.Append(name).Append("_count").Append(labels).Append(' ').Append(s.Count).Append('\n');
                    }
                    else sb.Append(name).Append(labels).Append(' ').Append(Number(s.Sum)).Append('\n');
                }
            }
        }
        return sb.ToString();
    }

    private static string WithLabel(string labels, string key, string value) =>
        labels.Length == 0 ? $"{{{key}=\"{value}\"}}" : $"{labels[..^1]},{key}=\"{value}\"}}";

    private static string Number(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    public void Dispose() => _listener.Dispose();
}
