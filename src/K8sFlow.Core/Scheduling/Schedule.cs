using NCrontab;

namespace K8sFlow.Core.Scheduling;

/// <summary>A parsed <c>spec.schedule</c>: one case per form of spec §1.1.</summary>
public abstract record Schedule
{
    private Schedule() { }

    /// <summary>Absent: manual runs only.</summary>
    public sealed record Manual : Schedule;

    /// <summary>@once: exactly one run at startDate.</summary>
    public sealed record Once : Schedule;

    /// <summary>@continuous: a new run as soon as the previous one ends.</summary>
    public sealed record Continuous : Schedule;

    /// <summary>A 5-field cron expression (presets expanded), read in the DAG's timezone.</summary>
    public sealed record Cron(string Expression, CrontabSchedule Crontab) : Schedule;

    /// <summary>@every &lt;duration&gt;: fixed durations, DST ignored.</summary>
    public sealed record Interval(TimeSpan Every) : Schedule;

    public static readonly IReadOnlyDictionary<string, string> Presets = new Dictionary<string, string>
    {
        ["@hourly"] = "0 * * * *",
        ["@daily"] = "0 0 * * *",
        ["@midnight"] = "0 0 * * *",
        ["@weekly"] = "0 0 * * 0",
        ["@monthly"] = "0 0 1 * *",
        ["@quarterly"] = "0 0 1 */3 *",
        ["@yearly"] = "0 0 1 1 *",
        ["@annually"] = "0 0 1 1 *",
    };

    /// <summary>Parses a schedule; on failure <paramref name="error"/> says what is wrong and what is accepted.</summary>
    public static bool TryParse(string? text, out Schedule schedule, out string? error)
    {
        schedule = new Manual();
        error = null;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s) || s is "None" or "null")
        {
            return true;
        }
        switch (s)
        {
            case "@once":
                schedule = new Once();
                return true;
            case "@continuous":
                schedule = new Continuous();
                return true;
        }
        if (s.StartsWith("@every", StringComparison.Ordinal))
        {
            var rest = s["@every".Length..].Trim();
            if (!Durations.TryParse(rest, out var every) || every <= TimeSpan.Zero)
            {
                error = $"invalid interval '{rest}' in '{s}' (expected e.g. @every 6h, @every 30m)";
                return false;
            }
            schedule = new Interval(every);
            return true;
        }
        if (s.StartsWith('@'))
        {
            if (!Presets.TryGetValue(s, out var expanded))
            {
                error = $"unknown preset '{s}' (known: {string.Join(", ", Presets.Keys)}, @once, @continuous, @every <duration>)";
                return false;
            }
            s = expanded;
        }
        var fields = s.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5)
        {
            error = $"invalid cron '{text}': expected 5 fields (minute hour day-of-month month day-of-week), got {fields.Length}";
            return false;
        }
        try
        {
            schedule = new Cron(s, CrontabSchedule.Parse(s, new CrontabSchedule.ParseOptions { IncludingSeconds = false }));
            return true;
        }
        catch (CrontabException e)
        {
            error = $"invalid cron '{text}': {e.Message}";
            return false;
        }
    }
}

/// <summary>IANA time zone lookup with a message that names the bad value.</summary>
public static class TimeZones
{
    public static bool TryResolve(string? id, out TimeZoneInfo zone, out string? error)
    {
        zone = TimeZoneInfo.Utc;
        error = null;
        if (string.IsNullOrWhiteSpace(id) || id is "UTC" or "Etc/UTC")
        {
            return true;
        }
        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id);
            return true;
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            error = $"unknown time zone '{id}' (expected an IANA name such as UTC, Europe/Berlin, America/New_York)";
            return false;
        }
    }
}
