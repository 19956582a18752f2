using System.Globalization;
using K8sFlow.Core.Api;
using K8sFlow.Core.Scheduling;

namespace K8sFlow.Core.Tests.Scheduling;

/// <summary>Builds timetables from the few DagSpec fields scheduling reads.</summary>
internal static class Timetables
{
    public static Timetable Build(
        string? schedule,
        string? timetable = null,
        bool catchup = false,
        string? start = "2025-01-01T00:00:00Z",
        string? end = null,
        string? timezone = null)
    {
        var result = Timetable.Create(new DagSpec
        {
            Schedule = schedule,
            Timetable = timetable,
            Catchup = catchup,
            StartDate = start is null ? null : At(start),
            EndDate = end is null ? null : At(end),
            Timezone = timezone,
        });
        result.Errors.Should().BeEmpty();
        return result.Timetable!;
    }

    public static DateTimeOffset At(string iso) => DateTimeOffset.Parse(iso, CultureInfo.InvariantCulture);

    public static string Iso(DateTimeOffset time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm'Z'", CultureInfo.InvariantCulture);

    /// <summary>The logical dates of every scheduled run due in [start, now] (catch-up, trigger unless told).</summary>
    public static string[] Points(string schedule, string? timezone, string start, string now, string? timetable = null) =>
        [.. Build(schedule, timetable, catchup: true, start: start, timezone: timezone)
            .Due(null, At(now), int.MaxValue).Runs.Select(r => Iso(r.LogicalDate))];
}
