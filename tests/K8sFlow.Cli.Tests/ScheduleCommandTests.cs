using System.Text.Json;
using static K8sFlow.Cli.Tests.CliRunner;

namespace K8sFlow.Cli.Tests;

public class ScheduleCommandTests
{
    // Spec §1.4's worked example: @daily UTC, startDate 2025-01-01, first evaluated 2025-01-31 15:00, no runs yet.
    [Theory]
    [InlineData("trigger", false, 1, "2025-01-31T00:00:00+00:00", "2025-01-31T00:00:00+00:00")]
    [InlineData("trigger", true, 31, "2025-01-01T00:00:00+00:00", "2025-01-31T00:00:00+00:00")]
    [InlineData("dataInterval", false, 1, "2025-01-30T00:00:00+00:00", "2025-01-30T00:00:00+00:00")]
    [InlineData("dataInterval", true, 30, "2025-01-01T00:00:00+00:00", "2025-01-30T00:00:00+00:00")]
    public void Schedule_Json_ReproducesTheCatchupWorkedExample(string timetable, bool catchup, int count, string first, string last)
    {
        var file = WriteDag(timetable, catchup);

        var result = Run("schedule", file, "--now", "2025-01-31T15:00:00Z", "--next", "1", "--output", "json");

        result.ExitCode.Should().Be(0, result.Error);
        using var json = JsonDocument.Parse(result.Output);
        var due = json.RootElement.GetProperty("due").EnumerateArray().ToList();
        due.Should().HaveCount(count);
        due[0].GetProperty("logicalDate").GetString().Should().Be(first);
        due[^1].GetProperty("logicalDate").GetString().Should().Be(last);
        due[^1].GetProperty("runId").GetString().Should().Be("scheduled__" + last);
        var next = json.RootElement.GetProperty("next").EnumerateArray().Single();
        // Either way the next run is due at 02-01 00:00: the trigger match itself, or the end of the 01-31 interval.
        next.GetProperty("runAfter").GetString().Should().Be("2025-02-01T00:00:00+00:00");
    }

    [Fact]
    public void Schedule_DataInterval_ShowsTheIntervalOfTheNewestRun()
    {
        var result = Run("schedule", WriteDag("dataInterval", false), "--now", "2025-01-31T15:00:00Z", "--output", "json");

        using var json = JsonDocument.Parse(result.Output);
        var run = json.RootElement.GetProperty("due")[0];
        run.GetProperty("dataIntervalStart").GetString().Should().Be("2025-01-30T00:00:00+00:00");
        run.GetProperty("dataIntervalEnd").GetString().Should().Be("2025-01-31T00:00:00+00:00");
        run.GetProperty("runAfter").GetString().Should().Be("2025-01-31T00:00:00+00:00");
    }

    [Fact]
    public void Schedule_Table_SaysHowManyRunsAreDueAndWhenCapped()
    {
        var result = Run("schedule", WriteDag("trigger", true), "--now", "2025-01-31T15:00:00Z", "--max-runs", "10");

        result.ExitCode.Should().Be(0);
        result.OutputLines[0].Should().Be("dag daily at 2025-01-31T15:00:00+00:00: 10 run(s) due (capped at 10; more follow on the next pass)");
        result.Output.Should().Contain("scheduled__2025-01-10T00:00:00+00:00").And.NotContain("scheduled__2025-01-11T00:00:00+00:00");
    }

    [Fact]
    public void Schedule_BadNow_IsRefusedNamingTheOption()
    {
        var result = Run("schedule", WriteDag("trigger", false), "--now", "yesterday");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("--now: invalid time \"yesterday\"");
    }

    [Fact]
    public void Schedule_InvalidDag_ExitsTwoWithTheDiagnostic()
    {
        var file = WriteDag("trigger", false).Replace("daily.yaml", "bad.yaml", StringComparison.Ordinal);
        File.WriteAllText(file, File.ReadAllText(WriteDag("trigger", false)).Replace("\"@daily\"", "\"@fortnightly\"", StringComparison.Ordinal));

        var result = Run("schedule", file, "--now", "2025-01-31T15:00:00Z");

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("@fortnightly");
    }

    private static string WriteDag(string timetable, bool catchup)
    {
        var dir = Path.Combine(Path.GetTempPath(), "k8sflow-schedule-tests", $"{timetable}-{catchup}");
        Directory.CreateDirectory(dir);
        var file = Path.Combine(dir, "daily.yaml");
        File.WriteAllText(file, $"""
            apiVersion: k8sflow.io/v1alpha1
            kind: Dag
            metadata: {"{"}name: daily{"}"}
            spec:
              schedule: "@daily"
              startDate: "2025-01-01T00:00:00Z"
              timetable: {timetable}
              catchup: {(catchup ? "true" : "false")}
              tasks:
              - {"{"}name: a, image: busybox, command: [echo, hi]{"}"}
            """);
        return file;
    }
}
