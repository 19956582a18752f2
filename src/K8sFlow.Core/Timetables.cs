namespace K8sFlow.Core;

/// <summary>Accepted <c>spec.timetable</c> values (spec §1.2).</summary>
public static class Timetables
{
    /// <summary>Airflow 3 default: a run fires at each schedule point; its logical date is that point.</summary>
    public const string Trigger = "trigger";

    /// <summary>Airflow 2: a run covers [point, next point) and starts when the interval ends.</summary>
    public const string DataInterval = "dataInterval";

    public const string Default = Trigger;

    public static readonly IReadOnlyList<string> All = [Trigger, DataInterval];

    public static bool IsKnown(string? timetable) => timetable is null || All.Contains(timetable);
}
