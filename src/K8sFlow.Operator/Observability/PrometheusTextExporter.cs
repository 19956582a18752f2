using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace K8sFlow.Operator.Observability;

/// <summary>
/// A small Prometheus text exposition (format 0.0.4) exporter over System.Diagnostics.Metrics.
/// A <see cref="MeterListener"/> aggregates the selected meters' measurements in memory:
/// counters (exported with a <c>_total</c> suffix), up-down counters and gauges (gauges), histograms
/// (cumulative <c>_bucket{le=...}</c>, <c>_sum</c>, <c>_count</c>; bucket bounds from the
/// instrument's advice). Observable instruments are read at export time. Families and series are
/// sorted, so the same state always renders the same text.
/// </summary>
public sealed class PrometheusTextExporter : IMetricsExporter, IDisposable
{
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>Prometheus client libraries' default buckets, for histograms without advice.</summary>
    public static IReadOnlyList<double> DefaultBuckets { get; } = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    // By exported name: the first instrument to claim a name owns it (names are unique per meter).
    private readonly ConcurrentDictionary<string, MetricFamily> _families = new(StringComparer.Ordinal);
    private readonly Lock _exportLock = new();
    private readonly ILogger? _logger;

    /// <summary>Exports the instruments of the meters <paramref name="includeMeter"/> selects.</summary>
    public PrometheusTextExporter(Func<Meter, bool> includeMeter, ILogger? logger = null)
    {
        _logger = logger;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!includeMeter(instrument.Meter) || MetricFamily.TryCreate(instrument) is not { } family)
            {
                return;
            }
            if (_families.TryAdd(family.Name, family))
            {
                listener.EnableMeasurementEvents(instrument, family);
            }
        };
        _listener.MeasurementsCompleted = (_, state) =>
        {
            if (state is MetricFamily family)
            {
                _families.TryRemove(new KeyValuePair<string, MetricFamily>(family.Name, family));
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<decimal>((_, value, tags, state) => ((MetricFamily)state!).Record((double)value, tags));
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<short>((_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<byte>((_, value, tags, state) => ((MetricFamily)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Exports exactly this meter instance (not every meter that shares its name).</summary>
    public PrometheusTextExporter(Meter meter, ILogger? logger = null)
        : this(candidate => candidate == meter, logger)
    {
    }

    public string ContentType => TextContentType;

    /// <summary>The exposition text of the current values.</summary>
    public string Export()
    {
        lock (_exportLock)
        {
            var families = _families.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
            foreach (var family in families)
            {
                family.BeginObservation();
            }
            ObserveInstruments();
            var text = new StringBuilder();
            foreach (var family in families)
            {
                family.Render(text);
            }
            return text.ToString();
        }
    }

    public async Task WriteAsync(Stream destination, CancellationToken cancellationToken) =>
        await destination.WriteAsync(Encoding.UTF8.GetBytes(Export()), cancellationToken);

    public void Dispose() => _listener.Dispose();

    private void ObserveInstruments()
    {
        try
        {
            _listener.RecordObservableInstruments();
        }
        catch (AggregateException failures)
        {
            // A failing callback loses only its own series; the rest of the scrape still serves.
            foreach (var failure in failures.InnerExceptions)
            {
                _logger?.LogWarning(failure, "A metrics callback failed; its series are missing from this scrape");
            }
        }
    }
}

/// <summary>One exported metric: its name, type and series (by rendered label set).</summary>
internal sealed class MetricFamily
{
    private static readonly Dictionary<Type, MetricKind> Kinds = new()
    {
        [typeof(Counter<>)] = MetricKind.Counter,
        [typeof(ObservableCounter<>)] = MetricKind.Counter,
        [typeof(UpDownCounter<>)] = MetricKind.SummedGauge,
        [typeof(ObservableUpDownCounter<>)] = MetricKind.Gauge,
        [typeof(Gauge<>)] = MetricKind.Gauge,
        [typeof(ObservableGauge<>)] = MetricKind.Gauge,
        [typeof(Histogram<>)] = MetricKind.Histogram,
    };

    private readonly ConcurrentDictionary<string, MetricSeries> _series = new(StringComparer.Ordinal);
    private readonly double[] _bounds;

    private MetricFamily(string name, string help, MetricKind kind, bool observable, double[] bounds)
    {
        Name = name;
        Help = help;
        Kind = kind;
        IsObservable = observable;
        _bounds = bounds;
    }

    public string Name { get; }
    public string Help { get; }
    public MetricKind Kind { get; }

    /// <summary>Observable instruments report their whole state at each export: last value per series.</summary>
    public bool IsObservable { get; }

    public static MetricFamily? TryCreate(Instrument instrument)
    {
        var type = instrument.GetType();
        if (!type.IsGenericType || !Kinds.TryGetValue(type.GetGenericTypeDefinition(), out var kind))
        {
            return null;
        }
        var name = PrometheusText.MetricName(instrument.Name);
        if (kind == MetricKind.Counter && !name.EndsWith("_total", StringComparison.Ordinal))
        {
            name += "_total";
        }
        var help = string.IsNullOrWhiteSpace(instrument.Description) ? name : instrument.Description;
        var bounds = kind == MetricKind.Histogram ? HistogramBounds(instrument) : [];
        return new MetricFamily(name, help, kind, instrument.IsObservable, bounds);
    }

    public void BeginObservation()
    {
        if (IsObservable)
        {
            _series.Clear();
        }
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var series = _series.GetOrAdd(PrometheusText.Labels(tags), _ => new MetricSeries(_bounds.Length));
        series.Record(Kind, value, _bounds, replace: IsObservable || Kind == MetricKind.Gauge);
    }

    public void Render(StringBuilder text)
    {
        if (_series.IsEmpty)
        {
            return;
        }
        text.Append("# HELP ").Append(Name).Append(' ').Append(PrometheusText.EscapeHelp(Help)).Append('\n');
        text.Append("# TYPE ").Append(Name).Append(' ').Append(TypeName).Append('\n');
        foreach (var (labels, series) in _series.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (Kind == MetricKind.Histogram)
            {
                RenderHistogram(text, labels, series.Snapshot());
            }
            else
            {
                AppendSample(text, Name, labels, series.Snapshot().Value);
            }
        }
    }

    private string TypeName => Kind switch
    {
        MetricKind.Counter => "counter",
        MetricKind.Histogram => "histogram",
        _ => "gauge",
    };

    private void RenderHistogram(StringBuilder text, string labels, SeriesSnapshot snapshot)
    {
        var separator = labels.Length == 0 ? "" : ",";
        long cumulative = 0;
        for (var i = 0; i < _bounds.Length; i++)
        {
            cumulative += snapshot.BucketCounts[i];
            AppendSample(text, Name + "_bucket", $"{labels}{separator}le=\"{PrometheusText.Value(_bounds[i])}\"", cumulative);
        }
        AppendSample(text, Name + "_bucket", $"{labels}{separator}le=\"+Inf\"", snapshot.Count);
        AppendSample(text, Name + "_sum", labels, snapshot.Sum);
        AppendSample(text, Name + "_count", labels, snapshot.Count);
    }

    private static void AppendSample(StringBuilder text, string name, string labels, double value)
    {
        text.Append(name);
        if (labels.Length > 0)
        {
            text.Append('{').Append(labels).Append('}');
        }
        text.Append(' ').Append(PrometheusText.Value(value)).Append('\n');
    }

    private static double[] HistogramBounds(Instrument instrument)
    {
        var advised = instrument switch
        {
            Histogram<double> h => h.Advice?.HistogramBucketBoundaries,
            Histogram<float> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<decimal> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<int> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<short> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            Histogram<byte> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToList(),
            _ => null,
        };
        // +Inf is implicit; bounds must be finite, increasing and distinct.
        return [.. (advised ?? PrometheusTextExporter.DefaultBuckets).Where(double.IsFinite).Distinct().Order()];
    }
}

internal enum MetricKind
{
    Counter,
    /// <summary>An up-down counter: measurements are deltas, exported as a gauge.</summary>
    SummedGauge,
    Gauge,
    Histogram,
}

internal readonly record struct SeriesSnapshot(double Value, long[] BucketCounts, double Sum, long Count);

/// <summary>One label set's state; measurements arrive from any thread.</summary>
internal sealed class MetricSeries(int bucketCount)
{
    private readonly Lock _lock = new();
    private readonly long[] _bucketCounts = new long[bucketCount];
    private double _value;
    private double _sum;
    private long _count;

    public void Record(MetricKind kind, double value, double[] bounds, bool replace)
    {
        lock (_lock)
        {
            if (kind == MetricKind.Histogram)
            {
                var bucket = Array.FindIndex(bounds, bound => value <= bound);
                if (bucket >= 0)
                {
                    _bucketCounts[bucket]++;
                }
                _sum += value;
                _count++;
            }
            else
            {
                _value = replace ? value : _value + value;
            }
        }
    }

    public SeriesSnapshot Snapshot()
    {
        lock (_lock)
        {
            return new SeriesSnapshot(_value, [.. _bucketCounts], _sum, _count);
        }
    }
}
