using static K8sFlow.Cli.Tests.CliRunner;

namespace K8sFlow.Cli.Tests;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("k8sflow-validate-");

    public void Dispose() => _temp.Delete(recursive: true);

    private string Write(string relativePath, string text)
    {
        var path = Path.Combine(_temp.FullName, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Validate_ValidDag_PrintsSummaryAndExits0()
    {
        var file = TestData("ml-pipeline.yaml");

        var result = Run("validate", file);

        result.ExitCode.Should().Be(0);
        result.Output.Should().Be($"{file}: dag ml-pipeline valid (9 tasks)\n");
        result.Error.Should().BeEmpty();
    }

    [Fact]
    public void Validate_CyclicDag_NamesTheCycleAndExits2()
    {
        var file = TestData("cyclic.yaml");

        var result = Run("validate", file);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Equal($"{file}:10: dag cyclic: task a: spec.tasks[0].dependsOn: dependency cycle: a -> b -> c -> a");
        result.Output.Should().Be($"{file}: dag cyclic invalid (1 error)\n");
    }

    [Fact]
    public void Validate_MissingFile_NamesItAndExits2()
    {
        var result = Run("validate", "does-not-exist.yaml");

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Equal("does-not-exist.yaml: no such file or directory");
    }

    [Fact]
    public void Validate_MissingAndValidFiles_ChecksBothAndExits2()
    {
        var result = Run("validate", "does-not-exist.yaml", TestData("ml-pipeline.yaml"));

        result.ExitCode.Should().Be(2);
        result.Output.Should().Contain("dag ml-pipeline valid (9 tasks)");
    }

    [Fact]
    public void Validate_YamlSyntaxError_GivesLineWithoutStackTrace()
    {
        var file = TestData("broken.yaml");

        var result = Run("validate", file);

        result.ExitCode.Should().Be(2);
        var line = result.ErrorLines.Should().ContainSingle().Subject;
        line.Should().StartWith($"{file}:8: YAML syntax error: ");
        result.Error.Should().NotContain("   at ");
    }

    [Fact]
    public void Validate_JsonFile_ReportsTypeErrorWithLine()
    {
        var file = TestData("dag.json");

        var result = Run("validate", file);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Equal($"{file}:8: dag from-json: task b: spec.tasks[1].retries: expected an integer, got \"3x\"");
        result.Output.Should().Be($"{file}: invalid (1 error)\n");
    }

    [Fact]
    public void Validate_WarningOnly_PrintsItAndExits0()
    {
        var file = TestData("join-after-branch.yaml");

        var result = Run("validate", file);

        result.ExitCode.Should().Be(0);
        result.ErrorLines.Should().ContainSingle().Which.Should().StartWith($"{file}:10: warning: dag join: task report: spec.tasks[3].triggerRule: all_success join after branch task \"choose\"");
        result.Output.Should().Be($"{file}: dag join valid (4 tasks, 1 warning)\n");
    }

    [Fact]
    public void Validate_MultiDocument_SummarizesEachResourceAndReportsSkips()
    {
        var file = TestData("multi.yaml");

        var result = Run("validate", file);

        result.ExitCode.Should().Be(0);
        result.OutputLines.Should().Equal(
            $"{file}: dag first valid (1 task)",
            $"{file}: dag second valid (2 tasks)",
            $"{file}: dagrun first-manual- valid (dag first)");
        result.ErrorLines.Should().Equal($"{file}:10: info: skipped ConfigMap settings (v1 is not a K8sFlow resource)");
    }

    [Fact]
    public void Validate_RunWithBadParams_CheckedAgainstDagInAnotherFile()
    {
        var run = Write("run.yaml", "apiVersion: k8sflow.io/v1alpha1\nkind: DagRun\nmetadata: {name: r}\nspec:\n  dagName: first\n  params: {epochs: 0}\n");

        var result = Run("validate", TestData("multi.yaml"), run);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Contain($"{run}:6: dag first: dagrun r: spec.params.epochs: param epochs: 0 is below the minimum 1");
        result.OutputLines.Should().Contain($"{run}: dagrun r invalid (1 error)");
    }

    [Fact]
    public void Validate_RunWithoutItsDag_SaysParamsWereNotChecked()
    {
        var run = Write("run.yaml", "apiVersion: k8sflow.io/v1alpha1\nkind: DagRun\nmetadata: {name: r}\nspec: {dagName: elsewhere, params: {x: 1}}\n");

        var result = Run("validate", run);

        result.ExitCode.Should().Be(0);
        result.Output.Should().Be($"{run}: dagrun r valid (dag elsewhere not among these files: params not checked)\n");
    }

    [Fact]
    public void Validate_Directory_ReadsManifestFilesOnly()
    {
        Write("a.yaml", File.ReadAllText(TestData("ml-pipeline.yaml")));
        Write("b.yml", File.ReadAllText(TestData("join-after-branch.yaml")));
        Write("notes.txt", "not a manifest {{");
        Write("sub/c.yaml", File.ReadAllText(TestData("cyclic.yaml")));

        var result = Run("validate", _temp.FullName);

        result.ExitCode.Should().Be(0, "sub/ is only read with --recursive");
        result.OutputLines.Should().Equal(
            $"{Path.Combine(_temp.FullName, "a.yaml")}: dag ml-pipeline valid (9 tasks)",
            $"{Path.Combine(_temp.FullName, "b.yml")}: dag join valid (4 tasks, 1 warning)");
    }

    [Fact]
    public void Validate_DirectoryRecursive_ReadsSubdirectories()
    {
        Write("a.yaml", File.ReadAllText(TestData("ml-pipeline.yaml")));
        Write("sub/c.yaml", File.ReadAllText(TestData("cyclic.yaml")));

        var result = Run("validate", "-R", _temp.FullName);

        result.ExitCode.Should().Be(2);
        result.Error.Should().Contain("dependency cycle: a -> b -> c -> a");
    }

    [Fact]
    public void Validate_EmptyDirectory_IsAnError()
    {
        var result = Run("validate", _temp.FullName);

        result.ExitCode.Should().Be(2);
        result.ErrorLines.Should().Equal($"{_temp.FullName}: no *.yaml, *.yml or *.json files in this directory");
    }

    [Fact]
    public void Validate_FileWithoutK8sFlowResources_IsValid()
    {
        var file = Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");

        var result = Run("validate", file);

        result.ExitCode.Should().Be(0);
        result.Output.Should().Be($"{file}: no Dag or DagRun found\n");
    }

    [Fact]
    public void Validate_NoArguments_IsAUsageError()
    {
        var result = Run("validate");

        result.ExitCode.Should().NotBe(0);
        result.Error.Should().Contain("Required argument missing");
    }
}
