using System.CommandLine;
using K8sFlow.Core.Crds;

namespace K8sFlow.Cli.Commands;

/// <summary>`k8sflow crds --output-dir crds`: writes the generated CRDs (hidden; `make crds` runs it).</summary>
public static class CrdsCommand
{
    public static Command Create()
    {
        var outputDir = new Option<DirectoryInfo>("--output-dir", "-o")
        {
            Description = "Directory the CRD manifests are written to (created if missing).",
            DefaultValueFactory = _ => new DirectoryInfo("crds"),
        };
        var command = new Command("crds", "Write the Dag and DagRun CustomResourceDefinitions generated from the API types.")
        {
            Hidden = true,
        };
        command.Options.Add(outputDir);
        command.SetAction(parseResult =>
        {
            var directory = parseResult.GetValue(outputDir)!;
            directory.Create();
            foreach (var crd in CrdGenerator.GenerateAll())
            {
                var path = Path.Combine(directory.FullName, crd.FileName);
                File.WriteAllText(path, crd.Yaml);
                parseResult.InvocationConfiguration.Output.WriteLine($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, path)}");
            }
            return 0;
        });
        return command;
    }
}
