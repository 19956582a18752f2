using K8sFlow.Core.Crds;

namespace K8sFlow.Core.Tests.Crds;

public class ReadmeReferenceTests
{
    // Small shapes the README documents once ("Shared shapes") instead of under every field using them.
    private static readonly string[] SharedShapes = ["env[].", ".resources.", "conditions[]."];

    [Fact]
    public void Readme_ManifestReferenceNamesEveryCrdField()
    {
        var readme = File.ReadAllText(RepoFiles.PathOf("README.md"));
        var missing = new List<string>();
        foreach (var crd in CrdGenerator.All)
        {
            var committed = File.ReadAllText(RepoFiles.PathOf(Path.Combine("crds", crd.FileName)));
            var schema = SchemaCheck.OpenApiSchema(YamlJson.Documents(committed).Single()!);
            var fields = SchemaCheck.SchemaPaths(schema)
                .Where(p => p.Contains('.') && !p.EndsWith(".*", StringComparison.Ordinal))
                .Where(p => !SharedShapes.Any(s => p.Contains(s, StringComparison.Ordinal)))
                .Select(p => p.Replace("*", "<name>", StringComparison.Ordinal));
            missing.AddRange(fields.Where(f => !readme.Contains($"`{f}`", StringComparison.Ordinal)).Select(f => $"{crd.Kind} {f}"));
        }
        missing.Should().BeEmpty("README.md's manifest reference documents every field (add a row when adding a field)");
    }
}
