using System.Text.Json.Nodes;
using K8sFlow.Core.Tests.Crds;
using K8sFlow.Operator.Tests.Tools;

namespace K8sFlow.Operator.Tests.Deployment;

/// <summary>config/rbac is the chart's RBAC rendered by `make rbac` (scripts/render-rbac.sh), never edited by hand.</summary>
public sealed class ConfigRbacTests
{
    [Fact]
    public async Task ConfigRbac_IsWhatMakeRbacRendersFromTheChart()
    {
        var rendered = Directory.CreateTempSubdirectory("k8sflow-rbac-");
        try
        {
            await ExternalTool.At(RepoFiles.PathOf("scripts/render-rbac.sh"))
                .RunSuccessfullyAsync(rendered.FullName);

            var committed = Files(RepoFiles.PathOf("config/rbac"));
            var fresh = Files(rendered.FullName);
            committed.Keys.Should().BeEquivalentTo(fresh.Keys, "config/rbac is stale: run `make rbac`");
            foreach (var (name, text) in fresh)
            {
                committed[name].Should().Be(text, $"config/rbac/{name} is stale: run `make rbac`");
            }
        }
        finally
        {
            rendered.Delete(recursive: true);
        }
    }

    [Fact]
    public void RoleYaml_IsAClusterRoleWithExactlyTheOperatorsRules()
    {
        var role = Objects("role.yaml").Single();

        Manifests.Kind(role).Should().Be("ClusterRole");
        Manifests.Rules(role).Should().BeEquivalentTo(HelmChartTests.ManagerRules);
    }

    [Fact]
    public void LeaderElectionRoleYaml_GrantsLeasesInTheOperatorsNamespace()
    {
        var role = Objects("leader_election_role.yaml").Single(o => Manifests.Kind(o) == "Role");

        Manifests.Namespace(role).Should().Be(HelmChart.ReleaseNamespace);
        Manifests.Rules(role).Should().BeEquivalentTo(HelmChartTests.LeaderElectionRules);
    }

    private static List<JsonObject> Objects(string file) =>
        [.. YamlJson.Documents(File.ReadAllText(RepoFiles.PathOf($"config/rbac/{file}"))).OfType<JsonObject>()];

    private static Dictionary<string, string> Files(string directory) =>
        Directory.GetFiles(directory).ToDictionary(file => Path.GetFileName(file), File.ReadAllText);
}
