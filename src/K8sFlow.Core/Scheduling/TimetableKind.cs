using System.Diagnostics.CodeAnalysis;
using K8sFlow.Core.Validation;

namespace K8sFlow.Core.Scheduling;

/// <summary>How schedule points map to runs (spec §1.2, <c>spec.timetable</c>).</summary>
public enum TimetableKind
{
    /// <summary>Airflow 3: a run fires at each point Tk; logicalDate = runAfter = Tk, interval [Tk, Tk].</summary>
    Trigger,

    /// <summary>Airflow 2: a run covers [Tk, Tk+1), becomes due at Tk+1; logicalDate = Tk.</summary>
    DataInterval,
}

/// <summary>The accepted <c>spec.timetable</c> names and their parsing: the one place.</summary>
public static class TimetableKinds
{
    public const string Trigger = "trigger";
    public const string DataInterval = "dataInterval";

    // In TimetableKind order: a name's index is its kind.
    private static readonly string[] ByKind = [Trigger, DataInterval];

    public static IReadOnlyList<string> Names => ByKind;

    /// <summary>
    /// Parses a timetable name; absent (null or empty) means trigger, Airflow 3's default. On failure
    /// <paramref name="error"/> names the value and lists the accepted names.
    /// </summary>
    public static bool TryParse(string? name, out TimetableKind kind, [NotNullWhen(false)] out string? error)
    {
        kind = TimetableKind.Trigger;
        error = null;
        if (string.IsNullOrEmpty(name))
        {
            return true;
        }
        var index = Array.IndexOf(ByKind, name);
        if (index < 0)
        {
            error = Suggestions.UnknownValue("timetable", name, Names);
            return false;
        }
        kind = (TimetableKind)index;
        return true;
    }
}
