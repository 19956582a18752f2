using System.Diagnostics.Metrics;
using K8sFlow.Operator.Observability;

namespace K8sFlow.Operator.Tests.Observability;

public sealed class PrometheusTextExporterTests : IDisposable
{
    // A private meter per test: the exporter listens to this instance only, so parallel tests never mix.
    private readonly Meter _meter = new("K8sFlow.Tests");
    private readonly PrometheusTextExporter _exporter;

    public PrometheusTextExporterTests() => _exporter = new PrometheusTextExporter(_meter);

    public void Dispose()
    {
        _exporter.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void Export_Counter_GetsTotalSuffixSortedLabelsAndSums()
    {
        var counter = _meter.CreateCounter<long>("jobs_created", description: "Jobs created.");
        counter.Add(2, Tag("queue", "dagrun"), Tag("code", "201"));
        counter.Add(3, Tag("code", "201"), Tag("queue", "dagrun"));
        counter.Add(1, Tag("code", "409"), Tag("queue", "dagrun"));

        _exporter.Export().Should().Be("""
            # HELP jobs_created_total Jobs created.
            # TYPE jobs_created_total counter
            jobs_created_total{code="201",queue="dagrun"} 5
            jobs_created_total{code="409",queue="dagrun"} 1

            """);
    }

    [Fact]
    public void Export_CounterNamedWithTotal_KeepsOneSuffix()
    {
        _meter.CreateCounter<long>("task_outcomes_total", description: "Outcomes.").Add(1);

        _exporter.Export().Should().Contain("task_outcomes_total 1\n").And.NotContain("_total_total");
    }

    [Fact]
    public void Export_Histogram_BucketsAreCumulativeWithInfSumAndCount()
    {
        var histogram = _meter.CreateHistogram("reconcile_seconds", unit: "s", description: "Reconcile time.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.125, 1] });
        // Binary fractions: the sum is exact. 0.125 sits on a bound: le means "less than or equal".
        foreach (var seconds in new[] { 0.0625, 0.125, 0.5, 4 })
        {
            histogram.Record(seconds, Tag("controller", "dagrun"));
        }

        _exporter.Export().Should().Be("""
            # HELP reconcile_seconds Reconcile time.
            # TYPE reconcile_seconds histogram
            reconcile_seconds_bucket{controller="dagrun",le="0.125"} 2
            reconcile_seconds_bucket{controller="dagrun",le="1"} 3
            reconcile_seconds_bucket{controller="dagrun",le="+Inf"} 4
            reconcile_seconds_sum{controller="dagrun"} 4.6875
            reconcile_seconds_count{controller="dagrun"} 4

            """);
    }

    [Fact]
    public void Export_HistogramWithoutAdvice_UsesPrometheusDefaultBuckets()
    {
        _meter.CreateHistogram<double>("latency_seconds").Record(0.3);

        var buckets = _exporter.Export().Split('\n').Where(line => line.StartsWith("latency_seconds_bucket", StringComparison.Ordinal));

        buckets.Should().Equal(
            PrometheusTextExporter.DefaultBuckets.Select(b => $"latency_seconds_bucket{{le=\"{b}\"}} {(b >= 0.3 ? 1 : 0)}")
                .Append("latency_seconds_bucket{le=\"+Inf\"} 1"));
    }

    [Fact]
    public void Export_ObservableGauge_ReportsTheCallbacksCurrentSeriesOnly()
    {
        var depths = new Dictionary<string, long> { ["dag"] = 3, ["dagrun"] = 7 };
        _meter.CreateObservableGauge("queue_depth",
            () => depths.Select(d => new Measurement<long>(d.Value, Tag("queue", d.Key))), description: "Queue depth.");

        var first = _exporter.Export();
        depths.Remove("dag");
        depths["dagrun"] = 2;
        var second = _exporter.Export();

        first.Should().Be("""
            # HELP queue_depth Queue depth.
            # TYPE queue_depth gauge
            queue_depth{queue="dag"} 3
            queue_depth{queue="dagrun"} 7

            """);
        second.Should().Be("""
            # HELP queue_depth Queue depth.
            # TYPE queue_depth gauge
            queue_depth{queue="dagrun"} 2

            """);
    }

    [Fact]
    public void Export_UpDownCounterAndGauge_AreGauges_SummedAndLastValue()
    {
        var inFlight = _meter.CreateUpDownCounter<int>("in_flight", description: "In flight.");
        inFlight.Add(3);
        inFlight.Add(-1);
        var temperature = _meter.CreateGauge<double>("temperature", description: "Last reading.");
        temperature.Record(20.5);
        temperature.Record(-3.25);

        _exporter.Export().Should().Be("""
            # HELP in_flight In flight.
            # TYPE in_flight gauge
            in_flight 2
            # HELP temperature Last reading.
            # TYPE temperature gauge
            temperature -3.25

            """);
    }

    [Fact]
    public void Export_LabelValues_EscapeBackslashQuoteAndNewline()
    {
        _meter.CreateCounter<long>("messages", description: "Line one\nline two \\ end").Add(1, Tag("text", "say \"hi\"\nC:\\tmp"));

        _exporter.Export().Should().Be("""
            # HELP messages_total Line one\nline two \\ end
            # TYPE messages_total counter
            messages_total{text="say \"hi\"\nC:\\tmp"} 1

            """);
    }

    [Theory]
    [InlineData("k8sflow.queue-depth", "k8sflow_queue_depth")]
    [InlineData("http/server:requests", "http_server:requests")]
    [InlineData("5xx", "_5xx")]
    public void Export_InvalidNameCharacters_BecomeUnderscores(string instrumentName, string metricName)
    {
        _meter.CreateGauge<int>(instrumentName).Record(1, Tag("status.code", 5));

        _exporter.Export().Should().Contain($"# TYPE {metricName} gauge\n{metricName}{{status_code=\"5\"}} 1\n");
    }

    [Fact]
    public void Export_FamiliesAndSeries_AreSortedWhateverTheRecordingOrder()
    {
        var zebra = _meter.CreateCounter<long>("zebra");
        var alpha = _meter.CreateCounter<long>("alpha");
        zebra.Add(1, Tag("k", "b"));
        zebra.Add(1, Tag("k", "a"));
        alpha.Add(1);

        var samples = _exporter.Export().Split('\n').Where(line => line.Length > 0 && !line.StartsWith('#'));

        samples.Should().Equal("alpha_total 1", "zebra_total{k=\"a\"} 1", "zebra_total{k=\"b\"} 1");
    }

    [Fact]
    public void Export_InstrumentWithoutMeasurements_WritesNothing()
    {
        _meter.CreateCounter<long>("never_used");
        _meter.CreateHistogram<double>("never_recorded");

        _exporter.Export().Should().BeEmpty();
    }

    [Fact]
    public void Export_FailingCallback_LosesOnlyItsOwnSeries()
    {
        _meter.CreateObservableGauge<int>("broken", new Func<int>(() => throw new InvalidOperationException("cache gone")));
        _meter.CreateObservableGauge("working", () => 1);

        _exporter.Export().Should().Be("""
            # HELP working working
            # TYPE working gauge
            working 1

            """);
    }

    [Fact]
    public void Export_OtherMeterWithTheSameName_IsNotExported()
    {
        using var other = new Meter(_meter.Name);
        other.CreateCounter<long>("foreign").Add(1);

        _exporter.Export().Should().BeEmpty();
    }

    [Fact]
    public void Export_AfterTheMeterIsDisposed_DropsItsFamilies()
    {
        _meter.CreateCounter<long>("short_lived").Add(1);

        _meter.Dispose();

        _exporter.Export().Should().BeEmpty();
    }

    [Fact]
    public async Task WriteAsync_WritesTheExportAsUtf8WithoutBom()
    {
        _meter.CreateCounter<long>("runs").Add(1, Tag("dag", "données"));
        using var stream = new MemoryStream();

        await _exporter.WriteAsync(stream, CancellationToken.None);

        stream.ToArray().Should().Equal(System.Text.Encoding.UTF8.GetBytes(_exporter.Export()));
        _exporter.ContentType.Should().Be("text/plain; version=0.0.4; charset=utf-8");
    }

    private static KeyValuePair<string, object?> Tag(string key, object? value) => new(key, value);
}
