using K8sFlow.Core;
using K8sFlow.Core.Api;
using K8sFlow.Kubernetes.Tests.Fakes;
using K8sFlow.Operator.IntegrationTests.Support;
using static K8sFlow.Operator.Tests.Fakes.TestObjects;

namespace K8sFlow.Operator.IntegrationTests;

/// <summary>Scheduled runs on the operator's clock (a fake one here): on time, deterministic names, none twice.</summary>
public sealed class CronScheduleTests
{
    private static DateTimeOffset At(int hour) => new(2026, 1, 1, hour, 0, 0, TimeSpan.Zero);

    private static string RunAt(int hour) => Names.DagRunName("hourly", Names.RunTypes.Scheduled, At(hour));

    [Fact]
    public async Task HourlyDag_FakeClock_RunsAppearOnSchedule_RestartDuplicatesNone_CatchupFalseCreatesOnlyTheNewest()
    {
        var clock = new ManualTimeProvider(At(10).AddMinutes(30));
        await using var cluster = await OperatorCluster.StartAsync();
        var first = await cluster.StartOperatorAsync(time: clock);
        await cluster.ApplyAsync(Dag("hourly", new DagSpec
        {
            Schedule = "0 * * * *",
            Timetable = "trigger",
            StartDate = At(0),
            Catchup = false,
            Tasks = [Task("tick")],
        }));

        // Ten hours are due at 10:30; without catch-up only the newest runs.
        await PassDoneAsync(cluster, newestRun: 10, nextRun: 11);
        ScheduledRuns(cluster).Should().Equal(RunAt(10));

        // The controller waits on the clock for 11:00.
        await clock.WaitForTimerDueInAsync(TimeSpan.FromMinutes(30));
        clock.Advance(TimeSpan.FromMinutes(30));
        await PassDoneAsync(cluster, newestRun: 11, nextRun: 12);
        ScheduledRuns(cluster).Should().Equal(RunAt(10), RunAt(11));
        var uids = cluster.View.DagRuns.List().ToDictionary(r => r.Metadata.Name!, r => r.Metadata.Uid);

        // An outage of three hours: a new instance on the same cluster sees 12:00, 13:00 and 14:00 missed.
        await cluster.StopOperatorAsync(first);
        clock.Advance(TimeSpan.FromHours(3));
        await cluster.StartOperatorAsync(time: clock);

        var dag = await PassDoneAsync(cluster, newestRun: 14, nextRun: 15);
        dag.Status!.LastScheduledLogicalDate.Should().Be(At(14));
        ScheduledRuns(cluster).Should().Equal(RunAt(10), RunAt(11), RunAt(14));
        (await cluster.DagRunsCreatedAsync(atLeast: 3)).Should().Be(3, "no run was created twice");
        cluster.View.DagRuns.List().Where(r => uids.ContainsKey(r.Metadata.Name!))
            .Should().OnlyContain(r => r.Metadata.Uid == uids[r.Metadata.Name!], "the runs from before the restart were left alone");
        cluster.View.Run(RunAt(14))!.Spec.LogicalDate.Should().Be(At(14));

        var dags = await cluster.KubectlAsync("get", "dags", "-n", OperatorCluster.Ns);
        dags.ExitCode.Should().Be(0, dags.ToString());
        var row = KubectlTable.Parse(dags.Stdout).Single(r => r["NAME"] == "hourly");
        row["SCHEDULE"].Should().Be("0 * * * *");
        row["NEXT RUN"].Should().StartWith("2026-01-01T15:00:00");
    }

    /// <summary>
    /// Waits until a scheduling pass is done: the Dag's status names the next run, and the view shows the newest run
    /// (the runs are created before the status is written, and older ones before newer ones).
    /// </summary>
    private static async Task<Dag> PassDoneAsync(OperatorCluster cluster, int newestRun, int nextRun)
    {
        var dag = await cluster.WaitForDagAsync("hourly", d => d.Status?.NextRunTime == At(nextRun), $"next run at {nextRun}:00");
        await cluster.View.WaitForAsync(() => cluster.View.Run(RunAt(newestRun)), $"run {RunAt(newestRun)}");
        return dag;
    }

    private static IReadOnlyList<string> ScheduledRuns(OperatorCluster cluster) =>
        [.. cluster.View.DagRuns.List().Where(r => r.Spec.DagName == "hourly").Select(r => r.Metadata.Name!).Order(StringComparer.Ordinal)];
}
