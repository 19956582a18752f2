using static K8sFlow.Cli.Tests.CliRunner;

namespace K8sFlow.Cli.Tests;

public class GraphCommandTests
{
    [Fact]
    public void Graph_Ascii_ListsLayersWithBranchAndTriggerRuleMarks()
    {
        var result = Run("graph", TestData("ml-pipeline.yaml"));

        result.ExitCode.Should().Be(0);
        result.Error.Should().BeEmpty();
        result.Output.Should().Be("""
            dag ml-pipeline (9 tasks)
            raw_to_bronze -> bronze_to_silver
              bronze_to_silver -> feature_engineering
                feature_engineering -> model_training
                  model_training -> model_evaluation
                    model_evaluation -> check_accuracy
                      check_accuracy [branch] -> model_registry, notify_low_accuracy
                        model_registry -> report
                        notify_low_accuracy -> report
                          report [none_failed_min_one_success]

            """);
    }

    [Fact]
    public void Graph_Ascii_IndentsByLongestPathNotDeclarationOrder()
    {
        var result = Run("graph", TestData("multi.yaml"), "--dag", "second");

        result.ExitCode.Should().Be(0);
        result.Output.Should().Be("dag second (2 tasks)\nextract -> load\n  load\n");
    }

    [Fact]
    public void Graph_Mermaid_IsAFlowchartWithBranchDiamonds()
    {
        var result = Run("graph", TestData("join-after-branch.yaml"), "--format", "mermaid");

        result.ExitCode.Should().Be(0);
        result.Output.Should().Be("""
            flowchart TD
                t0{"choose"}
                t1["left"]
                t2["right"]
                t3["report"]
                t0 --> t1
                t0 --> t2
                t1 --> t3
                t2 --> t3

            """);
        result.Error.Should().Contain("warning:", "warnings are shown but do not stop the drawing");
    }

    [Fact]
    public void Graph_Mermaid_ShowsTriggerRuleOnSecondLine()
    {
        var result = Run("graph", TestData("ml-pipeline.yaml"), "-f", "mermaid");

        result.OutputLines.Should().Contain("t8[\"report<br/>none_failed_min_one_success\"]");
        result.OutputLines.Should().Contain("t5{\"check_accuracy\"}");
    }

    [Fact]
    public void Graph_Dot_IsADigraph()
    {
        var result = Run("graph", TestData("ml-pipeline.yaml"), "--format", "dot");

        result.ExitCode.Should().Be(0);
        result.OutputLines.First().Should().Be("digraph \"ml-pipeline\" {");
        result.OutputLines.Last().Should().Be("}");
        result.OutputLines.Should().Contain("\"check_accuracy\" [shape=diamond];");
        result.OutputLines.Should().Contain("\"report\" [label=\"report\\nnone_failed_min_one_success\"];");
        result.OutputLines.Where(l => l.Contains(" -> ", StringComparison.Ordinal)).Should().HaveCount(9);
        result.OutputLines.Should().Contain("\"check_accuracy\" -> \"notify_low_accuracy\";");
    }

    [Fact]
    public void Graph_CyclicDag_PrintsTheCycleAndExits2()
    {
        var file = TestData("cyclic.yaml");

        var result = Run("graph", file);

        result.ExitCode.Should().Be(2);
        result.Output.Should().BeEmpty();
        result.ErrorLines.Should().Equal($"{file}:10: dag cyclic: task a: spec.tasks[0].dependsOn: dependency cycle: a -> b -> c -> a");
    }

    [Fact]
    public void Graph_SeveralDags_AsksForDag()
    {
        var file = TestData("multi.yaml");

        var result = Run("graph", file);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Equal($"{file}: 2 Dags (first, second); choose one with --dag");
    }

    [Fact]
    public void Graph_UnknownDag_ListsTheDagsFound()
    {
        var file = TestData("multi.yaml");

        var result = Run("graph", file, "--dag", "third");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Equal($"{file}: no dag \"third\" (found: first, second)");
    }

    [Fact]
    public void Graph_InvalidFile_PrintsDiagnosticsAndExits2()
    {
        var file = TestData("broken.yaml");

        var result = Run("graph", file);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith($"{file}:8: YAML syntax error");
    }

    [Fact]
    public void Graph_MissingFile_Exits2()
    {
        var result = Run("graph", "nowhere.yaml");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Equal("nowhere.yaml: no such file or directory");
    }

    [Fact]
    public void Graph_UnknownFormat_IsAUsageError()
    {
        var result = Run("graph", TestData("ml-pipeline.yaml"), "--format", "svg");

        result.ExitCode.Should().NotBe(0);
        result.Error.Should().Contain("'svg'");
        result.Output.Should().NotContain("digraph");
    }
}
