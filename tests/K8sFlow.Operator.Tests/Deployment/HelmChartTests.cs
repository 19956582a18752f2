using System.Text.Json.Nodes;
using K8sFlow.Core.Tests.Crds;
using K8sFlow.Operator.Tests.Tools;

namespace K8sFlow.Operator.Tests.Deployment;

/// <summary>The chart through the real helm (3.17): lint, and the objects `helm template` renders.</summary>
public sealed class HelmChartTests
{
    /// <summary>Exactly what the operator's code does in the namespaces it manages: nothing more.</summary>
    public static readonly string[] ManagerRules =
    [
        "k8sflow.io/dags: get list watch",
        "k8sflow.io/dags/status: get update patch",
        "k8sflow.io/dagruns: get list watch create update patch delete",
        "k8sflow.io/dagruns/status: get update patch",
        "batch/jobs: get list watch create delete",
        "/pods: get list watch",
        "/pods/log: get",
        "/events: create patch",
        "/persistentvolumeclaims: get list watch create delete",
        "/configmaps: get create",
    ];

    public static readonly string[] LeaderElectionRules = ["coordination.k8s.io/leases: get create update"];

    private static readonly string[] Namespaced = ["--set", "watchNamespaces={ml,etl}"];

    [Theory]
    [InlineData]
    [InlineData("--set", "watchNamespaces={ml,etl}")]
    [InlineData("--set", "serviceMonitor.enabled=true", "--set", "leaderElection.enabled=false", "--set", "replicaCount=1")]
    public async Task Lint_Strict_Passes(params string[] values)
    {
        var output = await ExternalTool.Helm.RunSuccessfullyAsync(["lint", "--strict", HelmChart.Directory, .. values]);

        output.Should().Contain("0 chart(s) failed");
    }

    [Fact]
    public async Task Template_Default_ClusterRoleGrantsExactlyTheOperatorsVerbs()
    {
        var manifests = await HelmChart.TemplateAsync();

        var clusterRole = manifests.Single("ClusterRole");
        Manifests.Rules(clusterRole).Should().BeEquivalentTo(ManagerRules);
        var binding = manifests.Single("ClusterRoleBinding");
        binding["roleRef"]!["name"]!.GetValue<string>().Should().Be(Manifests.Name(clusterRole));
        ShouldBindTheServiceAccount(binding, manifests);
        manifests.OfKind("Role").Select(Manifests.Name).Should().Equal("k8sflow-leader-election");
    }

    [Fact]
    public async Task Template_Default_LeasesOnlyInTheReleaseNamespace()
    {
        var manifests = await HelmChart.TemplateAsync();

        var role = manifests.Single("Role");
        Manifests.Namespace(role).Should().Be(HelmChart.ReleaseNamespace);
        Manifests.Rules(role).Should().BeEquivalentTo(LeaderElectionRules);
        var binding = manifests.Single("RoleBinding");
        Manifests.Namespace(binding).Should().Be(HelmChart.ReleaseNamespace);
        binding["roleRef"]!["name"]!.GetValue<string>().Should().Be(Manifests.Name(role));
        ShouldBindTheServiceAccount(binding, manifests);
    }

    [Fact]
    public async Task Template_Namespaced_RoleAndBindingPerWatchedNamespace_NoClusterWideAccess()
    {
        var manifests = await HelmChart.TemplateAsync(Namespaced);

        manifests.Kinds.Should().NotContain(["ClusterRole", "ClusterRoleBinding"]);
        var managerRoles = manifests.OfKind("Role").Where(r => Manifests.Name(r) == "k8sflow-manager").ToList();
        managerRoles.Select(Manifests.Namespace).Should().Equal("ml", "etl");
        managerRoles.Should().AllSatisfy(role => Manifests.Rules(role).Should().BeEquivalentTo(ManagerRules));
        var managerBindings = manifests.OfKind("RoleBinding").Where(r => Manifests.Name(r) == "k8sflow-manager").ToList();
        managerBindings.Select(Manifests.Namespace).Should().Equal("ml", "etl");
        managerBindings.Should().AllSatisfy(binding => ShouldBindTheServiceAccount(binding, manifests));
        var leases = manifests.OfKind("Role").Single(r => Manifests.Name(r) == "k8sflow-leader-election");
        Manifests.Namespace(leases).Should().Be(HelmChart.ReleaseNamespace);
        Args(manifests).Should().Contain("--namespaces=ml,etl");
    }

    [Fact]
    public async Task Template_Deployment_TwoReplicasWithLeaderElection()
    {
        var manifests = await HelmChart.TemplateAsync();

        var deployment = manifests.Single("Deployment");
        deployment["spec"]!["replicas"]!.GetValue<long>().Should().Be(2);
        Args(manifests).Should().Contain([
            "--leader-election=true", "--lease-name=k8sflow-operator", "--lease-namespace=$(POD_NAMESPACE)", "--lease-identity=$(POD_NAME)",
        ]);
        Args(manifests).Should().NotContain(a => a.StartsWith("--namespaces", StringComparison.Ordinal), "the default watches all namespaces");
        var env = Container(manifests)["env"]!.AsArray().ToDictionary(e => e!["name"]!.GetValue<string>(), e => e!["valueFrom"]!["fieldRef"]!["fieldPath"]!.GetValue<string>());
        env.Should().Contain("POD_NAME", "metadata.name").And.Contain("POD_NAMESPACE", "metadata.namespace");
        manifests.Single("PodDisruptionBudget")["spec"]!["minAvailable"]!.GetValue<long>().Should().Be(1);
    }

    [Fact]
    public async Task Template_Deployment_NonRootReadOnlyNoCapabilitiesRuntimeDefaultSeccomp()
    {
        var manifests = await HelmChart.TemplateAsync();

        var pod = manifests.Single("Deployment")["spec"]!["template"]!["spec"]!;
        pod["securityContext"]!["runAsNonRoot"]!.GetValue<bool>().Should().BeTrue();
        pod["securityContext"]!["runAsUser"]!.GetValue<long>().Should().Be(65532);
        pod["securityContext"]!["seccompProfile"]!["type"]!.GetValue<string>().Should().Be("RuntimeDefault");
        var container = Container(manifests)["securityContext"]!;
        container["readOnlyRootFilesystem"]!.GetValue<bool>().Should().BeTrue();
        container["allowPrivilegeEscalation"]!.GetValue<bool>().Should().BeFalse();
        container["runAsNonRoot"]!.GetValue<bool>().Should().BeTrue();
        container["capabilities"]!["drop"]!.AsArray().Select(c => c!.GetValue<string>()).Should().Equal("ALL");
        Container(manifests)["volumeMounts"]!.AsArray().Select(m => m!["mountPath"]!.GetValue<string>()).Should().Contain("/tmp",
            "with a read-only root, temp files need a volume");
    }

    [Fact]
    public async Task Template_Deployment_ProbesAndMetricsPortMatchTheServiceAndTheOperatorFlag()
    {
        var manifests = await HelmChart.TemplateAsync("--set", "metrics.port=9090");

        var container = Container(manifests);
        var port = container["ports"]!.AsArray().Single()!;
        port["name"]!.GetValue<string>().Should().Be("metrics");
        port["containerPort"]!.GetValue<long>().Should().Be(9090);
        Args(manifests).Should().Contain("--metrics-port=9090");
        container["livenessProbe"]!["httpGet"]!.ToJsonString().Should().Be("""{"path":"/healthz","port":"metrics"}""");
        container["readinessProbe"]!["httpGet"]!.ToJsonString().Should().Be("""{"path":"/readyz","port":"metrics"}""");
        container["resources"]!["requests"]!.AsObject().Select(r => r.Key).Should().BeEquivalentTo(["cpu", "memory"]);
        container["resources"]!["limits"]!["memory"].Should().NotBeNull();
        var service = manifests.Single("Service");
        service["spec"]!["ports"]![0]!["targetPort"]!.GetValue<string>().Should().Be("metrics");
        service["spec"]!["selector"]!.ToJsonString().Should().Be(
            manifests.Single("Deployment")["spec"]!["selector"]!["matchLabels"]!.ToJsonString());
    }

    [Theory]
    [InlineData("Debug", "console")]
    [InlineData("Warning", "json")]
    public async Task Template_LogLevelAndFormat_BecomeOperatorFlags(string level, string format)
    {
        var manifests = await HelmChart.TemplateAsync("--set", $"logLevel={level}", "--set", $"logFormat={format}");

        Args(manifests).Should().Contain([$"--log-level={level}", $"--log-format={format}"]);
    }

    [Fact]
    public async Task Template_Image_DefaultsToTheChartsAppVersion()
    {
        var chart = YamlJson.Documents(File.ReadAllText(RepoFiles.PathOf($"{HelmChart.Directory}/Chart.yaml"))).Single()!;

        var manifests = await HelmChart.TemplateAsync("--set", "image.repository=registry.example/k8sflow");

        Container(manifests)["image"]!.GetValue<string>().Should().Be($"registry.example/k8sflow:{chart["appVersion"]!.GetValue<string>()}");
    }

    [Fact]
    public async Task Template_ServiceMonitor_OnlyWhenEnabled_ScrapesTheMetricsPort()
    {
        var without = await HelmChart.TemplateAsync();
        var with = await HelmChart.TemplateAsync("--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.labels.release=prometheus");

        without.Kinds.Should().NotContain("ServiceMonitor");
        var monitor = with.Single("ServiceMonitor");
        monitor["metadata"]!["labels"]!["release"]!.GetValue<string>().Should().Be("prometheus");
        monitor["spec"]!["endpoints"]![0]!["port"]!.GetValue<string>().Should().Be("metrics");
        monitor["spec"]!["endpoints"]![0]!["path"]!.GetValue<string>().Should().Be("/metrics");
        var serviceLabels = with.Single("Service")["metadata"]!["labels"]!.AsObject();
        monitor["spec"]!["selector"]!["matchLabels"]!.AsObject().Should().AllSatisfy(
            label => serviceLabels[label.Key]!.GetValue<string>().Should().Be(label.Value!.GetValue<string>()));
    }

    [Fact]
    public async Task Template_NamespacedObjects_AllCarryTheReleaseNamespace()
    {
        var manifests = await HelmChart.TemplateAsync("--set", "serviceMonitor.enabled=true");

        manifests.Objects.Where(o => !Manifests.Kind(o).StartsWith("Cluster", StringComparison.Ordinal))
            .Select(o => $"{Manifests.Kind(o)}/{Manifests.Name(o)} in {Manifests.Namespace(o)}")
            .Should().AllSatisfy(o => o.Should().EndWith($" in {HelmChart.ReleaseNamespace}"));
    }

    [Fact]
    public async Task Template_SeveralReplicasWithoutLeaderElection_FailsNamingTheFix()
    {
        var error = await HelmChart.TemplateFailureAsync("--set", "leaderElection.enabled=false");

        error.Should().Contain("replicaCount is 2 but leaderElection.enabled is false")
            .And.Contain("enable leader election or set replicaCount to 1");
    }

    [Theory]
    [InlineData("logLevel=Verbose", "logLevel must be one of the following")]
    [InlineData("logFormat=xml", "logFormat must be one of the following")]
    [InlineData("watchNamespaces={ML}", "watchNamespaces.0: Does not match pattern")]
    public async Task Template_InvalidValues_RejectedNamingTheValue(string value, string message)
    {
        var error = await HelmChart.TemplateFailureAsync("--set", value);

        error.Should().Contain(message);
    }

    [Fact]
    public async Task Template_IncludeCrds_RendersTheRepositoryCrds()
    {
        var manifests = await HelmChart.TemplateAsync("--include-crds");

        var repositoryCrds = Directory.GetFiles(RepoFiles.PathOf("crds"), "*.yaml")
            .SelectMany(file => YamlJson.Documents(File.ReadAllText(file))).ToList();
        var rendered = manifests.OfKind("CustomResourceDefinition").ToList();
        rendered.Select(Manifests.Name).Should().BeEquivalentTo(["dags.k8sflow.io", "dagruns.k8sflow.io"]);
        rendered.Select(crd => crd.ToJsonString()).Should().BeEquivalentTo(repositoryCrds.Select(crd => crd!.ToJsonString()));
    }

    [Fact]
    public void ChartCrds_AreByteIdenticalToCrds()
    {
        var repository = CrdFiles("crds");
        var chart = CrdFiles($"{HelmChart.Directory}/crds");

        chart.Keys.Should().BeEquivalentTo(repository.Keys, "charts/k8sflow/crds is stale: run `make chart-crds`");
        foreach (var (name, text) in repository)
        {
            chart[name].Should().Be(text, $"charts/k8sflow/crds/{name} is stale: run `make chart-crds`");
        }
    }

    private static Dictionary<string, string> CrdFiles(string directory) =>
        Directory.GetFiles(RepoFiles.PathOf(directory), "*.yaml").ToDictionary(file => Path.GetFileName(file), File.ReadAllText);

    private static JsonNode Container(Manifests manifests) =>
        manifests.Single("Deployment")["spec"]!["template"]!["spec"]!["containers"]!.AsArray().Single()!;

    private static List<string> Args(Manifests manifests) =>
        [.. Container(manifests)["args"]!.AsArray().Select(a => a!.GetValue<string>())];

    private static void ShouldBindTheServiceAccount(JsonNode binding, Manifests manifests)
    {
        var account = manifests.Single("ServiceAccount");
        var subject = binding["subjects"]!.AsArray().Single()!;
        subject["kind"]!.GetValue<string>().Should().Be("ServiceAccount");
        subject["name"]!.GetValue<string>().Should().Be(Manifests.Name(account));
        subject["namespace"]!.GetValue<string>().Should().Be(HelmChart.ReleaseNamespace);
        manifests.Single("Deployment")["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>().Should().Be(Manifests.Name(account));
    }
}
