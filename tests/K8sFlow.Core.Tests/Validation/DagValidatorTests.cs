using K8sFlow.Core.Api;
using K8sFlow.Core.Manifests;
using K8sFlow.Core.Tests.Manifests;
using K8sFlow.Core.Validation;

namespace K8sFlow.Core.Tests.Validation;

public class DagValidatorTests
{
    private const string Task = "- {name: a, image: i, command: [c]}";

    /// <summary>
    /// A Dag manifest: line 3 holds the name, spec lines start at line 5, then "tasks:" and one line per task.
    /// </summary>
    private static string Manifest(string spec, string tasks, string name = "d") =>
        $"apiVersion: k8sflow.io/v1alpha1\nkind: Dag\nmetadata: {{name: {name}}}\nspec:\n"
        + string.Concat(spec.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "  " + l + "\n"))
        + "  tasks:\n"
        + string.Concat(tasks.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "    " + l + "\n"));

    private static List<string> Validate(string manifest)
    {
        var loaded = ManifestLoader.Load(manifest, "dag.yaml");
        loaded.Diagnostics.Should().BeEmpty("the test manifest must load");
        var dag = loaded.Dags.Single();
        return [.. DagValidator.Validate(dag.Resource, dag.Source).Select(d => d.ToString())];
    }

    [Theory]
    // names
    [InlineData("", Task, "dag.yaml:3: dag ML_Pipeline: metadata.name: invalid Dag name \"ML_Pipeline\": use at most 63 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit (the name is also a label value)", "ML_Pipeline")]
    [InlineData("", Task, "dag.yaml:3: dag aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa: metadata.name: invalid Dag name \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": use at most 63 lowercase letters, digits, '-' or '.', starting and ending with a letter or digit (the name is also a label value)", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")]
    [InlineData("", "[]", "dag.yaml:5: dag d: spec.tasks: a Dag needs at least one task")]
    [InlineData("", "- {image: i, command: [c]}", "dag.yaml:6: dag d: spec.tasks[0].name: a task needs a name")]
    [InlineData("", "- {name: a, image: i, command: [c]}\n- {name: a, image: i, command: [c]}", "dag.yaml:7: dag d: task a: spec.tasks[1].name: duplicate task name \"a\" (first at spec.tasks[0])")]
    [InlineData("", "- {name: _a, image: i, command: [c]}", "dag.yaml:6: dag d: task _a: spec.tasks[0].name: invalid task name \"_a\": use at most 63 letters, digits, '_', '-' or '.', starting and ending with a letter or digit")]
    [InlineData("", "- {name: 'a b', image: i, command: [c]}", "dag.yaml:6: dag d: task a b: spec.tasks[0].name: invalid task name \"a b\": use at most 63 letters, digits, '_', '-' or '.', starting and ending with a letter or digit")]
    [InlineData("", "- {name: a_b, image: i, command: [c]}\n- {name: A-b, image: i, command: [c]}", "dag.yaml:7: dag d: task A-b: spec.tasks[1].name: task names \"a_b\" and \"A-b\" both become \"a-b\" in Kubernetes names; rename one")]
    // dependencies
    [InlineData("", "- {name: train, image: i, command: [c]}\n- {name: b, image: i, command: [c], dependsOn: [trian]}", "dag.yaml:7: dag d: task b: spec.tasks[1].dependsOn[0]: unknown task \"trian\" (did you mean \"train\"?)")]
    [InlineData("", "- {name: a, image: i, command: [c], dependsOn: [a]}", "dag.yaml:6: dag d: task a: spec.tasks[0].dependsOn[0]: task \"a\" depends on itself")]
    [InlineData("", "- {name: a, image: i, command: [c], dependsOn: [c]}\n- {name: b, image: i, command: [c], dependsOn: [a]}\n- {name: c, image: i, command: [c], dependsOn: [b]}", "dag.yaml:6: dag d: task a: spec.tasks[0].dependsOn: dependency cycle: a -> b -> c -> a")]
    // scheduling
    [InlineData("schedule: 0 0 * *", Task, "dag.yaml:5: dag d: spec.schedule: invalid cron '0 0 * *': expected 5 fields (minute hour day-of-month month day-of-week), got 4")]
    [InlineData("timezone: Mars/Olympus", Task, "dag.yaml:5: dag d: spec.timezone: unknown time zone 'Mars/Olympus' (expected an IANA name such as UTC, Europe/Berlin, America/New_York)")]
    [InlineData("timetable: interval", Task, "dag.yaml:5: dag d: spec.timetable: unknown timetable \"interval\" (expected one of trigger, dataInterval)")]
    [InlineData("schedule: '@continuous'", Task, "dag.yaml:4: dag d: spec.maxActiveRuns: schedule @continuous needs maxActiveRuns: 1 (each run starts when the previous one ends), got none (the default allows more)")]
    [InlineData("schedule: '@continuous'\nmaxActiveRuns: 2", Task, "dag.yaml:6: dag d: spec.maxActiveRuns: schedule @continuous needs maxActiveRuns: 1 (each run starts when the previous one ends), got 2")]
    [InlineData("schedule: '@daily'", Task, "dag.yaml:4: dag d: spec.startDate: a scheduled Dag needs a startDate (schedule \"@daily\"), e.g. startDate: \"2026-01-01T00:00:00Z\"")]
    [InlineData("schedule: '@every 6h'", Task, "dag.yaml:4: dag d: spec.startDate: a scheduled Dag needs a startDate (schedule \"@every 6h\"), e.g. startDate: \"2026-01-01T00:00:00Z\"")]
    [InlineData("schedule: '@once'", Task, "dag.yaml:4: dag d: spec.startDate: a scheduled Dag needs a startDate (schedule \"@once\"), e.g. startDate: \"2026-01-01T00:00:00Z\"")]
    [InlineData("startDate: 2026-02-01T00:00:00Z\nendDate: 2026-01-01T00:00:00Z", Task, "dag.yaml:6: dag d: spec.endDate: endDate 2026-01-01T00:00:00+00:00 is before startDate 2026-02-01T00:00:00+00:00")]
    [InlineData("maxActiveRuns: 0", Task, "dag.yaml:5: dag d: spec.maxActiveRuns: must be at least 1, got 0")]
    [InlineData("maxActiveTasksPerRun: -1", Task, "dag.yaml:5: dag d: spec.maxActiveTasksPerRun: must be at least 1, got -1")]
    // durations and retries
    [InlineData("dagrunTimeout: 2 hours", Task, "dag.yaml:5: dag d: spec.dagrunTimeout: invalid duration \"2 hours\" (expected e.g. 30s, 5m, 1h30m, 2d)")]
    [InlineData("defaults: {retryDelay: soon}", Task, "dag.yaml:5: dag d: spec.defaults.retryDelay: invalid duration \"soon\" (expected e.g. 30s, 5m, 1h30m, 2d)")]
    [InlineData("defaults: {maxRetryDelay: 0s}", Task, "dag.yaml:5: dag d: spec.defaults.maxRetryDelay: must be longer than 0, got \"0s\"")]
    [InlineData("defaults: {retries: -1}", Task, "dag.yaml:5: dag d: spec.defaults.retries: must be 0 or more, got -1")]
    [InlineData("", "- {name: a, image: i, command: [c], executionTimeout: 1x}", "dag.yaml:6: dag d: task a: spec.tasks[0].executionTimeout: invalid duration \"1x\" (expected e.g. 30s, 5m, 1h30m, 2d)")]
    [InlineData("", "- {name: a, image: i, command: [c], retryDelay: 5}", "dag.yaml:6: dag d: task a: spec.tasks[0].retryDelay: invalid duration \"5\" (expected e.g. 30s, 5m, 1h30m, 2d)")]
    [InlineData("", "- {name: a, image: i, command: [c], retries: -2}", "dag.yaml:6: dag d: task a: spec.tasks[0].retries: must be 0 or more, got -2")]
    // task fields
    [InlineData("", "- {name: a, image: i, command: [c], triggerRule: all_sucess}", "dag.yaml:6: dag d: task a: spec.tasks[0].triggerRule: unknown trigger rule \"all_sucess\" (did you mean \"all_success\"?) (expected one of all_success, all_failed, all_done, all_done_min_one_success, all_skipped, one_success, one_failed, one_done, none_failed, none_failed_min_one_success, none_skipped, always)")]
    [InlineData("", "- {name: a, image: i, command: [c], type: sensor}", "dag.yaml:6: dag d: task a: spec.tasks[0].type: unknown task type \"sensor\" (expected one of container, branch)")]
    [InlineData("", "- {name: a, command: [c]}", "dag.yaml:6: dag d: task a: spec.tasks[0].image: no image: set image on the task or spec.defaults.image")]
    [InlineData("", "- {name: a, image: i}", "dag.yaml:6: dag d: task a: spec.tasks[0].command: nothing to run: set command or args")]
    // params
    [InlineData("params: {p: {type: text}}", Task, "dag.yaml:5: dag d: spec.params.p.type: unknown param type \"text\" (expected one of string, integer, number, boolean, array, object)")]
    [InlineData("params: {p: {type: integer, default: 1.5}}", Task, "dag.yaml:5: dag d: spec.params.p.default: expected an integer, got 1.5")]
    [InlineData("params: {p: {type: boolean, default: 'yes'}}", Task, "dag.yaml:5: dag d: spec.params.p.default: expected a boolean, got \"yes\"")]
    [InlineData("params: {p: {type: string, enum: [a, 1]}}", Task, "dag.yaml:5: dag d: spec.params.p.enum[1]: expected a string, got 1")]
    [InlineData("params: {p: {type: number, minimum: 5, maximum: 1}}", Task, "dag.yaml:5: dag d: spec.params.p.minimum: minimum 5 is above maximum 1")]
    [InlineData("params: {p: {type: string, minimum: 1}}", Task, "dag.yaml:5: dag d: spec.params.p.minimum: minimum and maximum apply to integer and number params, not string")]
    [InlineData("params: {p: {type: integer, pattern: '^1'}}", Task, "dag.yaml:5: dag d: spec.params.p.pattern: pattern applies to string params, not integer")]
    [InlineData("params: {p: {type: string, default: abc, pattern: '^[0-9]+$'}}", Task, "dag.yaml:5: dag d: spec.params.p.default: \"abc\" does not match the pattern ^[0-9]+$")]
    [InlineData("params: {p: {type: string, default: wine, enum: [iris, mnist]}}", Task, "dag.yaml:5: dag d: spec.params.p.default: \"wine\" is not one of \"iris\", \"mnist\"")]
    [InlineData("params: {p: {type: number, default: 1.5, maximum: 1}}", Task, "dag.yaml:5: dag d: spec.params.p.default: 1.5 is above the maximum 1")]
    [InlineData("params: {p: {type: integer, default: -1, minimum: 0}}", Task, "dag.yaml:5: dag d: spec.params.p.default: -1 is below the minimum 0")]
    // templates
    [InlineData("params: {dataset: {default: wine}}", "- {name: a, image: i, command: [c], args: ['{{ params.datset }}']}", "dag.yaml:7: dag d: task a: spec.tasks[0].args[0]: unknown param \"datset\" in template (did you mean \"dataset\"?) (declared: dataset)")]
    [InlineData("", "- {name: a, image: i, command: ['{{ params.x }}']}", "dag.yaml:6: dag d: task a: spec.tasks[0].command[0]: unknown param \"x\" in template (the Dag declares no params)")]
    [InlineData("", "- {name: a, image: i, command: [c]}\n- {name: b, image: i, command: ['{{ tasks.aa.outputs.n }}'], dependsOn: [a]}", "dag.yaml:7: dag d: task b: spec.tasks[1].command[0]: template reads outputs of unknown task \"aa\" (did you mean \"a\"?)")]
    [InlineData("", "- {name: a, image: i, command: [c]}\n- {name: b, image: i, command: ['{{ tasks.a.outputs.n }}']}", "dag.yaml:7: dag d: task b: spec.tasks[1].command[0]: template reads outputs of task \"a\", which is not upstream of \"b\" (add it to dependsOn)")]
    [InlineData("", "- {name: a, image: i, command: [c], env: [{name: X, value: '{{ dss }}'}]}", "dag.yaml:6: dag d: task a: spec.tasks[0].env[0].value: {{ dss }}: undefined name \"dss\" (did you mean \"ds\"?) (known: ds, ds_nodash, ts, ts_nodash, logical_date, data_interval_start, data_interval_end, run_id, dag_run.conf, params.NAME, tasks.TASK.outputs.KEY, macros.ds_add(ds, n))")]
    [InlineData("", "- {name: a, image: i, command: [c], args: ['--date={{ ds']}", "dag.yaml:6: dag d: task a: spec.tasks[0].args[0]: unclosed \"{{\" at column 8 (expected \"}}\")")]
    [InlineData("", "- {name: a, image: i, command: [c], outlets: ['s3://lake/{{ params.x }}']}", "dag.yaml:6: dag d: task a: spec.tasks[0].outlets[0]: unknown param \"x\" in template (the Dag declares no params)")]
    [InlineData("defaults: {env: [{name: X, value: '{{ tasks.a.outputs.n }}'}]}", Task, "dag.yaml:5: dag d: spec.defaults.env[0].value: spec.defaults cannot read task outputs (tasks.a.outputs.n): not every task runs after \"a\"")]
    public void Validate_BadManifest_NamesFileDagTaskAndField(string spec, string tasks, string expected, string name = "d")
    {
        Validate(Manifest(spec, tasks, name)).Should().Equal(expected);
    }

    [Fact]
    public void Validate_MlPipeline_IsValid()
    {
        Validate(SampleManifests.MlPipeline).Should().BeEmpty();
    }

    [Fact]
    public void Validate_TransitiveUpstreamOutput_IsAllowed()
    {
        var tasks = "- {name: a, image: i, command: [c]}\n- {name: b, image: i, command: [c], dependsOn: [a]}\n"
            + "- {name: c, image: i, command: ['{{ tasks.a.outputs.n }}'], dependsOn: [b]}";

        Validate(Manifest("", tasks)).Should().BeEmpty();
    }

    [Fact]
    public void Validate_ImageFromDefaults_IsEnough()
    {
        Validate(Manifest("defaults: {image: busybox}", "- {name: a, args: [x]}")).Should().BeEmpty();
    }

    [Fact]
    public void Validate_AllSuccessJoinAfterBranch_WarnsWithTheFix()
    {
        var manifest = SampleManifests.MlPipeline.Replace("    triggerRule: none_failed_min_one_success\n", "", StringComparison.Ordinal);

        var loaded = ManifestLoader.Load(manifest, "ml.yaml").Dags.Single();
        var diagnostics = DagValidator.Validate(loaded.Resource, loaded.Source);

        var warning = diagnostics.Should().ContainSingle().Subject;
        warning.Severity.Should().Be(Severity.Warning);
        var reportLine = manifest.Split('\n').ToList().FindIndex(l => l.Contains("- name: report", StringComparison.Ordinal)) + 1;
        warning.ToString().Should().Be(
            $"ml.yaml:{reportLine}: warning: dag ml-pipeline: task report: spec.tasks[8].triggerRule: all_success join after branch task \"check_accuracy\": "
            + "it is skipped whenever the branch skips one of its upstream paths; use triggerRule: none_failed_min_one_success");
    }

    [Theory]
    [InlineData("b", false)] // a branch target: skipping it is the point
    [InlineData("c", false)] // a chain below one target: skipped with its target, as intended
    [InlineData("join", true)] // reached through two targets
    [InlineData("deep", true)] // below the join, still downstream of both paths
    [InlineData("mixed", true)] // joins a branch path with a path from outside the branch
    public void Validate_AllSuccessBelowBranch_WarnsOnlyForJoins(string task, bool warns)
    {
        var tasks = """
            - {name: br, type: branch, image: i, command: [c]}
            - {name: b, image: i, command: [c], dependsOn: [br]}
            - {name: e, image: i, command: [c], dependsOn: [br]}
            - {name: c, image: i, command: [c], dependsOn: [b]}
            - {name: join, image: i, command: [c], dependsOn: [c, e]}
            - {name: deep, image: i, command: [c], dependsOn: [join]}
            - {name: outside, image: i, command: [c]}
            - {name: mixed, image: i, command: [c], dependsOn: [c, outside]}
            """;

        var warned = Validate(Manifest("", tasks)).Where(d => d.Contains("warning:", StringComparison.Ordinal));

        warned.Any(w => w.Contains($"task {task}: ", StringComparison.Ordinal)).Should().Be(warns);
    }

    [Fact]
    public void Validate_JoinWithNoneFailedMinOneSuccess_DoesNotWarn()
    {
        var tasks = """
            - {name: br, type: branch, image: i, command: [c]}
            - {name: b, image: i, command: [c], dependsOn: [br]}
            - {name: e, image: i, command: [c], dependsOn: [br]}
            - {name: join, image: i, command: [c], dependsOn: [b, e], triggerRule: none_failed_min_one_success}
            """;

        Validate(Manifest("", tasks)).Should().BeEmpty();
    }

    [Fact]
    public void Validate_SelfDependencyAndRealCycle_ReportsBoth()
    {
        var tasks = "- {name: a, image: i, command: [c], dependsOn: [a, b]}\n- {name: b, image: i, command: [c], dependsOn: [a]}";

        var messages = Validate(Manifest("", tasks));

        messages.Should().Contain(m => m.EndsWith("task \"a\" depends on itself", StringComparison.Ordinal));
        messages.Should().Contain(m => m.EndsWith("dependency cycle: a -> b -> a", StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_WithoutSource_StillNamesDagTaskAndField()
    {
        var dag = new Dag
        {
            Metadata = new ObjectMeta { Name = "d" },
            Spec = new DagSpec { Tasks = [new TaskSpec { Name = "a", Image = "i", Command = ["c"], Retries = -1 }] },
        };

        DagValidator.Validate(dag).Select(d => d.ToString()).Should().Equal("dag d: task a: spec.tasks[0].retries: must be 0 or more, got -1");
    }

    [Fact]
    public void Validate_TenThousandTaskChain_IsValid()
    {
        var tasks = Enumerable.Range(0, 10_000).Select(i => new TaskSpec
        {
            Name = $"t{i}",
            Image = "i",
            Command = i == 0 ? ["c"] : ["c", $"{{{{ tasks.t{i - 1}.outputs.n }}}}"],
            DependsOn = i == 0 ? null : [$"t{i - 1}"],
        }).ToList();
        var dag = new Dag { Metadata = new ObjectMeta { Name = "big" }, Spec = new DagSpec { Tasks = tasks } };

        DagValidator.Validate(dag).Should().BeEmpty();
    }

    [Theory]
    [InlineData(63, 63)]
    [InlineData(253, 63)]
    [InlineData(253, 200)]
    [InlineData(10, 63)]
    public void TaskJobName_LongRunAndTaskNames_FitsTheLabelLimit(int runLength, int taskLength)
    {
        var run = new string('r', runLength);
        var task = new string('T', taskLength);

        for (var tryNumber = 1; tryNumber <= 1000; tryNumber *= 10)
        {
            var job = Names.TaskJobName(run, task, tryNumber);
            job.Length.Should().BeLessThanOrEqualTo(Names.MaxLabelLength);
            Names.IsDnsLabel(job).Should().BeTrue(job);
        }
    }

    [Fact]
    public void TaskJobName_LongestValidNames_StayDistinctPerTask()
    {
        var run = Names.DagRunName(new string('d', 63), Names.RunTypes.Scheduled, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var first = Names.TaskJobName(run, new string('a', 62) + "1", 1);
        var second = Names.TaskJobName(run, new string('a', 62) + "2", 1);

        first.Should().NotBe(second);
        first.Length.Should().BeLessThanOrEqualTo(63);
    }
}
