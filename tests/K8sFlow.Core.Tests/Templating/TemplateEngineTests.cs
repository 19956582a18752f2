using System.Text.Json.Nodes;
using K8sFlow.Core.Templating;

namespace K8sFlow.Core.Tests.Templating;

public class TemplateEngineTests
{
    private static readonly TemplateContext Context = new()
    {
        LogicalDate = new DateTimeOffset(2025, 1, 31, 0, 0, 0, TimeSpan.Zero),
        DataIntervalStart = new DateTimeOffset(2025, 1, 30, 0, 0, 0, TimeSpan.Zero),
        DataIntervalEnd = new DateTimeOffset(2025, 1, 31, 0, 0, 0, TimeSpan.Zero),
        RunId = "scheduled__2025-01-31T00:00:00+00:00",
        Params = new Dictionary<string, JsonNode?>
        {
            ["dataset"] = "wine",
            ["threshold"] = 0.9,
            ["epochs"] = 3,
            ["flag"] = true,
            ["tags"] = new JsonArray("a", "b"),
            ["cfg"] = new JsonObject { ["lr"] = 0.1, ["name"] = "x<y" },
            ["nothing"] = null,
        },
        TaskOutputs = new Dictionary<string, IReadOnlyDictionary<string, string>>
        {
            ["train"] = new Dictionary<string, string> { ["accuracy"] = "0.93", ["model"] = "\"s3://m/1\"", ["raw"] = "plain text" },
        },
    };

    [Theory]
    [InlineData("{{ ds }}", "2025-01-31")]
    [InlineData("{{ds_nodash}}", "20250131")]
    [InlineData("{{ ts }}", "2025-01-31T00:00:00+00:00")]
    [InlineData("{{ ts_nodash }}", "20250131T000000")]
    [InlineData("{{ logical_date }}", "2025-01-31T00:00:00+00:00")]
    [InlineData("{{ data_interval_start }}", "2025-01-30T00:00:00+00:00")]
    [InlineData("{{ data_interval_end }}", "2025-01-31T00:00:00+00:00")]
    [InlineData("{{ run_id }}", "scheduled__2025-01-31T00:00:00+00:00")]
    [InlineData("{{ params.dataset }}", "wine")]
    [InlineData("{{ params['dataset'] }}", "wine")]
    [InlineData("{{ params.threshold }}", "0.9")]
    [InlineData("{{ params.epochs }}", "3")]
    [InlineData("{{ params.flag }}", "true")]
    [InlineData("{{ params.tags }}", "[\"a\",\"b\"]")]
    [InlineData("{{ params.tags.1 }}", "b")]
    [InlineData("{{ params.cfg }}", "{\"lr\":0.1,\"name\":\"x<y\"}")]
    [InlineData("{{ params.cfg.lr }}", "0.1")]
    [InlineData("{{ params.nothing }}", "null")]
    [InlineData("{{ dag_run.conf }}", "{\"dataset\":\"wine\",\"threshold\":0.9,\"epochs\":3,\"flag\":true,\"tags\":[\"a\",\"b\"],\"cfg\":{\"lr\":0.1,\"name\":\"x<y\"},\"nothing\":null}")]
    [InlineData("{{ dag_run.conf.dataset }}", "wine")]
    [InlineData("{{ tasks.train.outputs.accuracy }}", "0.93")]
    [InlineData("{{ tasks.train.outputs.model }}", "s3://m/1")]
    [InlineData("{{ tasks.train.outputs.raw }}", "plain text")]
    [InlineData("{{ macros.ds_add(ds, 1) }}", "2025-02-01")]
    [InlineData("{{ macros.ds_add(ds, -31) }}", "2024-12-31")]
    [InlineData("{{ macros.ds_add(ds, 0) }}", "2025-01-31")]
    [InlineData("{{ macros.ds_add(ts, 29) }}", "2025-03-01")]
    [InlineData("{{ macros.ds_add(ds_nodash, -1) }}", "2025-01-30")]
    [InlineData("{{ macros.ds_add('2024-02-28', 1) }}", "2024-02-29")]
    [InlineData("{{ macros.ds_add(macros.ds_add(ds, 1), params.epochs) }}", "2025-02-04")]
    [InlineData("--date={{ ds }} --out=s3://b/{{ params.dataset }}/{{ ds_nodash }}.csv", "--date=2025-01-31 --out=s3://b/wine/20250131.csv")]
    [InlineData("no templates } { here", "no templates } { here")]
    [InlineData("{{ '}}' }}", "}}")]
    public void Render_Variable_FormatsAsAirflowDoes(string template, string expected)
    {
        var result = TemplateEngine.Render(template, Context);

        result.Error.Should().BeNull();
        result.Value.Should().Be(expected);
    }

    [Fact]
    public void Render_NonUtcLogicalDate_RendersUtc()
    {
        var context = Context with { LogicalDate = new DateTimeOffset(2025, 2, 1, 8, 30, 0, TimeSpan.FromHours(9)), DataIntervalStart = null, DataIntervalEnd = null };

        TemplateEngine.Render("{{ ds }} {{ ts }} {{ data_interval_start }} {{ data_interval_end }}", context).Value
            .Should().Be("2025-01-31 2025-01-31T23:30:00+00:00 2025-01-31T23:30:00+00:00 2025-01-31T23:30:00+00:00");
    }

    [Fact]
    public void Render_Microseconds_KeptLikeIsoformat()
    {
        var context = Context with { LogicalDate = new DateTimeOffset(2025, 1, 31, 0, 0, 0, TimeSpan.Zero).AddTicks(1234560) };

        TemplateEngine.Render("{{ ts }}|{{ ts_nodash }}", context).Value.Should().Be("2025-01-31T00:00:00.123456+00:00|20250131T000000");
    }

    [Theory]
    [InlineData("{{ foo }}", "{{ foo }}: undefined name \"foo\" (known: ds, ds_nodash, ts, ts_nodash, logical_date, data_interval_start, data_interval_end, run_id, dag_run.conf, params.NAME, tasks.TASK.outputs.KEY, macros.ds_add(ds, n))")]
    [InlineData("{{ tss }}", "{{ tss }}: undefined name \"tss\" (did you mean \"ts\"?) (known: ds, ds_nodash, ts, ts_nodash, logical_date, data_interval_start, data_interval_end, run_id, dag_run.conf, params.NAME, tasks.TASK.outputs.KEY, macros.ds_add(ds, n))")]
    [InlineData("{{ ds.year }}", "{{ ds.year }}: \"ds\" is a plain value; \"ds.year\" is undefined")]
    [InlineData("{{ dag_run.id }}", "{{ dag_run.id }}: undefined name \"dag_run.id\" (dag_run offers dag_run.conf)")]
    [InlineData("{{ params }}", "{{ params }}: params needs a name: params.NAME")]
    [InlineData("{{ tasks.train.accuracy }}", "{{ tasks.train.accuracy }}: expected tasks.TASK.outputs.KEY, got \"tasks.train.accuracy\"")]
    [InlineData("{{ macros.ds_add }}", "{{ macros.ds_add }}: \"macros.ds_add\" is not a value; call it, e.g. macros.ds_add(ds, 1)")]
    [InlineData("{{ macros.ds_format(ds, 1) }}", "{{ macros.ds_format(ds, 1) }}: unknown function \"macros.ds_format\" (known: macros.ds_add(ds, n))")]
    [InlineData("{{ macros.ds_add(ds) }}", "{{ macros.ds_add(ds) }}: macros.ds_add takes 2 arguments (a date and a number of days), got 1")]
    [InlineData("{{ macros.ds_add('soon', 1) }}", "{{ macros.ds_add('soon', 1) }}: macros.ds_add: \"soon\" is not a date (expected YYYY-MM-DD)")]
    [InlineData("{{ macros.ds_add(ds, 'x') }}", "{{ macros.ds_add(ds, 'x') }}: macros.ds_add: \"x\" is not a whole number of days")]
    [InlineData("{{ macros.ds_add(ds, 1 }}", "{{ macros.ds_add(ds, 1 }}: unclosed \"(\" after macros.ds_add")]
    [InlineData("{{ macros.ds_add(ds 1) }}", "{{ macros.ds_add(ds 1) }}: expected \",\" or \")\" in the arguments of macros.ds_add")]
    [InlineData("a {{ ds", "unclosed \"{{\" at column 3 (expected \"}}\")")]
    [InlineData("{{ ds }} {{ params.x", "unclosed \"{{\" at column 10 (expected \"}}\")")]
    [InlineData("{{ }}", "{{ }}: empty expression")]
    [InlineData("{{ ds | upper }}", "{{ ds | upper }}: filters (|) are not supported")]
    [InlineData("{{ ds + 1 }}", "{{ ds + 1 }}: unexpected \"+ 1\"")]
    [InlineData("{{ params. }}", "{{ params. }}: a name must follow \".\" in \"params.\"")]
    [InlineData("{{ 'open }}", "unclosed \"{{\" at column 1 (expected \"}}\")")]
    [InlineData("{% if x %}y{% endif %}", "\"{%\" at column 1: Jinja statements are not supported, only {{ expression }}")]
    public void Inspect_BadTemplate_ReportsWhatIsWrong(string template, string expected)
    {
        var inspection = TemplateEngine.Inspect(template);

        inspection.IsValid.Should().BeFalse();
        inspection.Errors.Should().Equal(expected);
        TemplateEngine.Render(template, Context).Error.Should().Be(expected, "render reports what inspection reports");
    }

    [Fact]
    public void Inspect_ListsEveryReference()
    {
        var inspection = TemplateEngine.Inspect(
            "{{ ds }} {{ params.dataset }} {{ params.cfg.lr }} {{ tasks.train.outputs.accuracy }} {{ tasks['raw.load'].outputs.rows }} "
            + "{{ macros.ds_add(data_interval_end, params.days) }} {{ dag_run.conf }} {{ ds }}");

        inspection.IsValid.Should().BeTrue();
        inspection.References.Should().Equal(
            new TemplateReference.Variable("ds"),
            new TemplateReference.Param("dataset"),
            new TemplateReference.Param("cfg"),
            new TemplateReference.TaskOutput("train", "accuracy"),
            new TemplateReference.TaskOutput("raw.load", "rows"),
            new TemplateReference.Variable("data_interval_end"),
            new TemplateReference.Param("days"),
            new TemplateReference.Variable("dag_run.conf"));
    }

    [Fact]
    public void Inspect_TaskNamesWithDashesAndDigits_Parse()
    {
        TemplateEngine.Inspect("{{ tasks.raw-to-bronze.outputs.rows }} {{ tasks.1st.outputs.n }}").References.Should().Equal(
            new TemplateReference.TaskOutput("raw-to-bronze", "rows"),
            new TemplateReference.TaskOutput("1st", "n"));
    }

    [Theory]
    [InlineData("{{ ds }}", "\"ds\" needs a logical date, and this run has none")]
    [InlineData("{{ ts_nodash }}", "\"ts_nodash\" needs a logical date, and this run has none")]
    [InlineData("{{ macros.ds_add(ds, 1) }}", "\"ds\" needs a logical date, and this run has none")]
    public void Render_DateWithoutLogicalDate_Fails(string template, string expected)
    {
        var result = TemplateEngine.Render(template, Context with { LogicalDate = null });

        result.Succeeded.Should().BeFalse();
        result.Error.Should().Be($"{template}: {expected}");
    }

    [Theory]
    [InlineData("{{ params.missing }}", "param \"missing\" has no value (params of this run: dataset, threshold, epochs, flag, tags, cfg, nothing)")]
    [InlineData("{{ params.cfg.beta }}", "params.cfg has no \"beta\"")]
    [InlineData("{{ params.tags.5 }}", "params.tags has no \"5\"")]
    [InlineData("{{ tasks.eval.outputs.f1 }}", "task \"eval\" has no outputs (it has not succeeded, or wrote none)")]
    [InlineData("{{ tasks.train.outputs.f1 }}", "task \"train\" has no output \"f1\" (its outputs: accuracy, model, raw)")]
    [InlineData("{{ macros.ds_add(params.dataset, 1) }}", "macros.ds_add: \"wine\" is not a date (expected YYYY-MM-DD)")]
    [InlineData("{{ macros.ds_add(ds, params.dataset) }}", "macros.ds_add: \"wine\" is not a whole number of days")]
    [InlineData("{{ macros.ds_add(ds, 9999999) }}", "macros.ds_add: \"9999999\" is not a whole number of days")]
    public void Render_MissingValue_FailsNamingIt(string template, string expected)
    {
        TemplateEngine.Render(template, Context).Error.Should().Be($"{template}: {expected}");
    }

    [Fact]
    public void FromRunStatus_RendersTheRunsValues()
    {
        var status = new K8sFlow.Core.Api.DagRunStatus
        {
            LogicalDate = new DateTimeOffset(2026, 3, 1, 2, 0, 0, TimeSpan.Zero),
            RunId = "scheduled__2026-03-01T02:00:00+00:00",
            Params = new Dictionary<string, JsonNode?> { ["dataset"] = "iris" },
            Tasks =
            [
                new() { Name = "ingest", Outputs = new Dictionary<string, string> { ["rows"] = "178" } },
                new() { Name = "train" },
            ],
        };

        var result = TemplateEngine.Render("{{ run_id }} {{ ds }} {{ params.dataset }} {{ tasks.ingest.outputs.rows }}", TemplateContext.FromRunStatus(status));

        result.Value.Should().Be("scheduled__2026-03-01T02:00:00+00:00 2026-03-01 iris 178");
    }

    [Fact]
    public void RenderAll_CollectsEveryError()
    {
        var result = TemplateEngine.RenderAll(["{{ ds }}", "{{ nope }}", "x", "{{ params.missing }}"], Context);

        result.Succeeded.Should().BeFalse();
        result.Values.Should().BeEmpty();
        result.Errors.Should().HaveCount(2);
    }

    [Fact]
    public void RenderAll_AllGood_RendersInOrder()
    {
        var result = TemplateEngine.RenderAll(["--date", "{{ ds }}", "{{ params.epochs }}"], Context);

        result.Values.Should().Equal("--date", "2025-01-31", "3");
    }

    [Fact]
    public void Render_ParamsRenderedTwice_AreNotMoved()
    {
        TemplateEngine.Render("{{ dag_run.conf }}", Context).Succeeded.Should().BeTrue();
        TemplateEngine.Render("{{ dag_run.conf }}", Context).Succeeded.Should().BeTrue("the context's JSON nodes must stay usable");
        Context.Params["tags"]!.Parent.Should().BeNull();
    }
}
